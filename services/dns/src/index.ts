export { default as dnsApp, type DnsAppOptions } from './app.ts';
export { dnsBindingProblems, dnsConfigSchema, dnsOwnConfigSchema, loadDnsConfig, loadDnsOwnConfig, type DnsConfig, type DnsOwnConfig, type DnsAppConfig } from './config.ts';
export { RETURN_CODES } from './answer/return-codes.ts';
export type { DnsListening } from './plugins/listeners.ts';
