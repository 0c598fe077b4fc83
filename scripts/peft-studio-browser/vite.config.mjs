const api = process.env.API || "http://127.0.0.1:8765";
export default {
  server: { proxy: { "/api": api } },
  preview: { proxy: { "/api": api } },
};
