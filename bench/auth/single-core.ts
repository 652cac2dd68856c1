// Imported first by the benchmark: WebCrypto verification runs on libuv's thread pool, so restrict it
// to one thread before any crypto starts, making "per core" figures honest.
process.env.UV_THREADPOOL_SIZE = '1';
export {};
