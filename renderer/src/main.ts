import { mount } from 'svelte';
import App from './App.svelte';
import { createClient } from './api.js';
import { AuthState } from './auth.svelte.js';
import { httpAuthApi } from './http-bridge.js';
import { AdminState } from './state.svelte.js';
import './app.css';

const target = document.getElementById('app');
if (!target) throw new Error('#app missing from index.html');

const client = createClient();
// The browser's password login; the desktop app has no use for it.
const auth = client.transport === 'http' ? new AuthState(httpAuthApi()) : null;
mount(App, { target, props: { admin: new AdminState(client), client, auth } });
