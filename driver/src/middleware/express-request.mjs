// session-core-driver/express-request holds types only (express-request.d.ts: the opt-in
// declaration of `req.session` for Express); this empty module is what a plain `import` of it
// loads.
