import { apiHandler } from './api-handler.ts';

/** The admin function (template.yaml: AdminFunction); it also serves GET /docs, without a key. */
export const handler = apiHandler('admin', { docs: true });
