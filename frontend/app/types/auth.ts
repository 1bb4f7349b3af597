export interface LoginRequest {
  email: string
  password: string
}

export interface TokenResponse {
  access_token: string
  token_type: 'bearer' | string
}

export interface CurrentUser {
  id: string
  email: string
  created_at: string
}
