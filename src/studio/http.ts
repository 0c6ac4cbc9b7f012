import type { FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { formatValidationErrors } from '../server/errors.ts';

/**
 * A studio API scope checks its requests with zod schemas (a mismatch is a 400 naming the
 * field), like the REST API does. Call it first in each plugin registered under /studio/api.
 */
export function studioScope(app: FastifyInstance) {
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setSchemaErrorFormatter(formatValidationErrors);
  return app.withTypeProvider<ZodTypeProvider>();
}
