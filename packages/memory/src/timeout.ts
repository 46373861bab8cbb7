import { RxqError } from '@rxq/core';

/** `pull` or `pullMany` found nothing within its `timeoutMs`. */
export class Timeout extends RxqError {
  constructor(timeoutMs: number) {
    super('TIMEOUT', `Nothing to pull within timeoutMs (${timeoutMs} ms).`, { retryable: true });
    this.name = 'Timeout';
  }
}
