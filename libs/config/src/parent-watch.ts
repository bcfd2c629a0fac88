/**
 * For processes started by Plinth's stack runner (which sets PLINTH_SUPERVISED=1): calls `stop`
 * when the runner disappears (this process is re-parented), so killing the runner with SIGKILL
 * leaves no API or worker behind.
 */
export function stopWhenSupervisorDies(stop: () => void, env: NodeJS.ProcessEnv = process.env): void {
  if (env.PLINTH_SUPERVISED !== '1') return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer);
      stop();
    }
  }, 1_000);
  timer.unref();
}
