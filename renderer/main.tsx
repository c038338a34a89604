import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createApiClient } from './api-client.ts';
import { App } from './App.tsx';
import './styles.css';

const api = createApiClient();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App api={api} />
  </StrictMode>,
);
