/** SQLSTATE helpers: both drivers surface PostgreSQL's error `code`. */
function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

export const isUniqueViolation = (error: unknown): boolean => sqlState(error) === '23505';
export const isForeignKeyViolation = (error: unknown): boolean => sqlState(error) === '23503';
export const isCheckViolation = (error: unknown): boolean => sqlState(error) === '23514';
export const isSerializationFailure = (error: unknown): boolean =>
  sqlState(error) === '40001' || sqlState(error) === '40P01';
