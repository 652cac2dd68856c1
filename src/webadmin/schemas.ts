// Shared pieces of the OpenAPI description: James' error body and the common responses.
import type { ResponseSpec, Schema } from './types.js';

export const ERROR_SCHEMA: Schema = {
  type: 'object',
  required: ['statusCode', 'type', 'message'],
  properties: {
    statusCode: { type: 'integer' },
    type: { type: 'string' },
    message: { type: 'string' },
    details: { type: ['string', 'null'] },
  },
};

export const error = (description: string): ResponseSpec => ({ description, schema: { $ref: '#/components/schemas/Error' } });
export const empty = (description: string): ResponseSpec => ({ description });

export const STRING_LIST: Schema = { type: 'array', items: { type: 'string' } };

/** James' list of rewrite sources (address aliases of a user, alias domains of a domain). */
export const SOURCE_LIST: Schema = { type: 'array', items: { type: 'object', required: ['source'], properties: { source: { type: 'string' } } } };
