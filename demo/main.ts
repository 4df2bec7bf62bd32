// Placeholder demo: replaced by the real demo. It only proves the library loads in a page.
import * as webnesia from '../src/index.js'

const app = document.getElementById('app')
if (app) app.textContent = `webnesia loaded: ${Object.keys(webnesia).length} exports`
