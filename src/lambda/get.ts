import { apiHandler } from './api-handler.ts';

/** The get function (template.yaml: GetFunction). */
export const handler = apiHandler('get');
