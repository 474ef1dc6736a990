import '@mantine/core/styles.css';
import '@mantine/notifications/styles.css';
import './app/global.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { session } from './api';
import { App } from './app/App';
import { installErrorReporter } from './app/errorReporter';

installErrorReporter();
// Restore the session from the httpOnly refresh cookie (the access token is memory-only).
void session.restore();

const root = document.getElementById('root');
if (!root) throw new Error('#root missing from index.html');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
