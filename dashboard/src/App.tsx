import { useQueryClient } from '@tanstack/react-query';
import { Toasts } from './components/Toasts';
import { TokenPrompt } from './components/TokenPrompt';
import { Header } from './containers/Header';
import { Sidebar } from './containers/Sidebar';
import { TaskBrowser } from './containers/TaskBrowser';
import { TaskPanel } from './containers/TaskPanel';
import { ThroughputPanel } from './containers/ThroughputPanel';
import { authStore, saveToken } from './data/auth';
import { useLiveEvents } from './data/live';
import { useStore } from './data/store';
import type { Throughput } from './data/throughput';
import { dismissToast, toastStore } from './data/toasts';
import { useRoute } from './routing';

/** The whole dashboard: header, overview, list, task panel, toasts and the token prompt. */
export function App({ throughput }: { throughput: Throughput }) {
  const client = useQueryClient();
  const auth = useStore(authStore);
  const live = useLiveEvents(throughput, auth.version);
  const route = useRoute();
  const toasts = useStore(toastStore);

  const applyToken = (token: string | null) => {
    saveToken(token);
    void client.invalidateQueries();
  };

  return (
    <div className={route.taskId ? 'app with-detail' : 'app'}>
      <a className="skip-link" href="#tasks-title">
        Skip to tasks
      </a>
      <Header live={live} hasToken={auth.hasToken} onForgetToken={() => applyToken(null)} />
      <main className="layout">
        <Sidebar route={route} />
        <div className="area-chart">
          <ThroughputPanel throughput={throughput} />
        </div>
        <TaskBrowser route={route} />
      </main>
      {route.taskId && <TaskPanel key={route.taskId} route={route} id={route.taskId} />}
      <Toasts toasts={toasts} onDismiss={dismissToast} />
      {auth.refused !== null && <TokenPrompt reason={auth.refused} hadToken={auth.hasToken} onSubmit={applyToken} />}
    </div>
  );
}
