declare const _exports: import("./native-api.js").Native;
export = _exports;
