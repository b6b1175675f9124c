'use strict'
// The native addon, loaded once for this platform (see loader.js); its
// exports are typed in native-api.d.ts.
/** @type {import('./native-api.js').Native} */
module.exports = require('./loader.js').load()
