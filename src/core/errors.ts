/** An error a user caused and can fix: the message says what is wrong and where. */
export class UserError extends Error {
  readonly statusCode: number;

  constructor(message: string, statusCode = 400) {
    super(message);
    this.name = 'UserError';
    this.statusCode = statusCode;
  }
}

export class NotFoundError extends UserError {
  constructor(what: string) {
    super(`${what} not found`, 404);
    this.name = 'NotFoundError';
  }
}
