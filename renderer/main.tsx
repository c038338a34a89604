import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createStationApi } from './api/index.ts';
import { App } from './App.tsx';
import './styles.css';

const api = createStationApi();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App api={api} />
  </StrictMode>,
);
