// Starts the web app. A file of its own because the CSP forbids inline scripts.
import init from './app.js';
init();
