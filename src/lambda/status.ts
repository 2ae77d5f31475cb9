import { apiHandler } from './api-handler.ts';

/** The status function (template.yaml: StatusFunction). */
export const handler = apiHandler('status');
