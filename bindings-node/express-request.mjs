// `session-core/express-request` holds types only (express-request.d.mts: the opt-in
// declaration of `req.session` for Express); this module is what a plain `import` of it loads.
export {};
