export { default as analystApp, type AnalystAppOptions } from './app.ts';
export { default as analystDocsPlugin } from './plugins/docs.ts';
export { analystConfigSchema, loadAnalystConfig, type AnalystConfig } from './config.ts';
export { signWebhook, verifyWebhook, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './watchlists/webhook-signature.ts';
export { default as analystTaxiiBasicAuthPlugin } from './plugins/taxii-basic-auth.ts';
