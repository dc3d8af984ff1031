/** How a command reports its exit code to the CLI's entry (which sets process.exitCode once). */
export type SetExit = (code: number) => void;
