/**
 * `guard(name, body)`: the function a scenario exports. k6 logs an exception that ends an
 * iteration and carries on, so a VU that dies takes its share of the load with it and the run
 * can still pass. Failures the scripts expect (a refused connection, a lost message) are counted,
 * never thrown; anything thrown is a broken run, and aborts the test (exit code 108).
 */
import exec from 'k6/execution';

export function guard<T>(name: string, body: (data: T) => Promise<void>): (data: T) => Promise<void> {
  return async (data: T) => {
    try {
      await body(data);
    } catch (error) {
      exec.test.abort(`${name} VU ${exec.vu.idInTest}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
}
