/** Waits until `check` stops throwing (no timing is asserted; the limit only ends a hung test). */
export async function eventually(check: () => void | Promise<void>, limitMs = 20_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}
