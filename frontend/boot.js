// Starts the web app. A file of its own because the CSP forbids inline scripts.
import init from './app.js';

// The theme the user picked (see theme.rs), set before the app renders so a reload does not
// flash the other one; without a choice the stylesheet follows prefers-color-scheme.
try {
  const theme = localStorage.getItem('confreports.theme');
  if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;
} catch {
  // Storage disabled: the system's theme it is.
}

init();
