export function navigateToExternal(url: string): void {
  window.location.assign(url)
}
