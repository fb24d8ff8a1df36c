/** Environment settings shared by the CLI, the worker and the client, with their defaults. */
export const settings = (env: NodeJS.ProcessEnv = process.env) => ({
  temporalAddress: env.TEMPORAL_ADDRESS || '127.0.0.1:7233',
  namespace: env.TEMPORAL_NAMESPACE || 'default',
  taskQueue: env.FERRY_TASK_QUEUE || 'ferry',
  uiUrl: (env.FERRY_UI_URL || 'http://127.0.0.1:8233').replace(/\/$/, ''),
});

export const workflowUrl = (workflowId: string, env: NodeJS.ProcessEnv = process.env): string => {
  const s = settings(env);
  return `${s.uiUrl}/namespaces/${encodeURIComponent(s.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
};
