'use strict'
// The native addon, loaded once for this platform (see loader.js).
module.exports = require('./loader.js').load()
