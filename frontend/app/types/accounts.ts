import type { Job } from './jobs'

export type ConnectionStatus = 'pending' | 'active' | 'expired' | 'failed'

export interface Balance {
  balance_type: string
  amount: string
  currency: string
  reference_date: string | null
}

export interface Account {
  id: string
  iban: string | null
  name: string | null
  currency: string | null
  owner_name: string | null
  balances: Balance[]
}

export interface Connection {
  id: string
  institution_id: string
  institution_name: string
  status: ConnectionStatus
  status_reason: string | null
  access_expires_at: string | null
  created_at: string
  updated_at: string
  accounts: Account[]
  latest_sync_job: Job | null
  last_synced_at: string | null
  remaining_daily_syncs: number | null
}

export interface ConnectionList {
  connections: Connection[]
}

export interface ConnectionLink {
  connection: Connection
  link: string
}

export interface Institution {
  id: string
  name: string
  bic: string | null
  logo: string | null
  countries: string[]
}

export type TransactionStatus = 'booked' | 'pending'

export interface Transaction {
  id: string
  bank_transaction_id: string | null
  status: TransactionStatus
  amount: string
  currency: string
  booking_date: string | null
  value_date: string | null
  description: string | null
  counterparty: string | null
}

export interface TransactionPage {
  transactions: Transaction[]
  total: number
  limit: number
  offset: number
}

export type ConnectOutcome = 'connected' | 'pending' | 'failed' | 'expired'
