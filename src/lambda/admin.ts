import { apiHandler } from './api-handler.ts';

/** The admin function (template.yaml: AdminFunction). */
export const handler = apiHandler('admin');
