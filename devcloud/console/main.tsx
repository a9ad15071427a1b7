/** The console's entry: esbuild bundles this file (and what it imports) into /console/app.js and /console/app.css. */
import { render } from 'preact';
import { App } from './app';
import './styles/base.css';
import './styles/parts.css';
import './styles/views.css';

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
