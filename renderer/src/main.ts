import { mount } from 'svelte';
import App from './App.svelte';
import { createClient } from './api.js';
import { AdminState } from './state.svelte.js';
import './app.css';

const target = document.getElementById('app');
if (!target) throw new Error('#app missing from index.html');

const client = createClient();
mount(App, { target, props: { admin: new AdminState(client), client } });
