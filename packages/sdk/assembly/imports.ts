// Raw Proxy-Wasm hostcalls, named exactly as in the ABI. asc imports only the ones a plugin calls,
// so declaring every one costs nothing. Pointers and sizes are usize; statuses are WasmResult codes.

// --- logging, time, ticks ---
@external("env", "proxy_log")
export declare function proxy_log(level: u32, message: usize, size: usize): u32;
@external("env", "proxy_get_log_level")
export declare function proxy_get_log_level(level_out: usize): u32;
@external("env", "proxy_get_current_time_nanoseconds")
export declare function proxy_get_current_time_nanoseconds(time_out: usize): u32;
@external("env", "proxy_set_tick_period_milliseconds")
export declare function proxy_set_tick_period_milliseconds(millis: u32): u32;

// --- buffers ---
@external("env", "proxy_get_buffer_bytes")
export declare function proxy_get_buffer_bytes(type: u32, start: usize, max: usize, ptr_out: usize, size_out: usize): u32;
@external("env", "proxy_get_buffer_status")
export declare function proxy_get_buffer_status(type: u32, size_out: usize, flags_out: usize): u32;
@external("env", "proxy_set_buffer_bytes")
export declare function proxy_set_buffer_bytes(type: u32, start: usize, length: usize, data: usize, size: usize): u32;

// --- header maps ---
@external("env", "proxy_get_header_map_value")
export declare function proxy_get_header_map_value(map: u32, key: usize, key_size: usize, ptr_out: usize, size_out: usize): u32;
@external("env", "proxy_get_header_map_pairs")
export declare function proxy_get_header_map_pairs(map: u32, ptr_out: usize, size_out: usize): u32;
@external("env", "proxy_get_header_map_size")
export declare function proxy_get_header_map_size(map: u32, size_out: usize): u32;
@external("env", "proxy_set_header_map_pairs")
export declare function proxy_set_header_map_pairs(map: u32, pairs: usize, size: usize): u32;
@external("env", "proxy_add_header_map_value")
export declare function proxy_add_header_map_value(map: u32, key: usize, key_size: usize, value: usize, value_size: usize): u32;
@external("env", "proxy_replace_header_map_value")
export declare function proxy_replace_header_map_value(map: u32, key: usize, key_size: usize, value: usize, value_size: usize): u32;
@external("env", "proxy_remove_header_map_value")
export declare function proxy_remove_header_map_value(map: u32, key: usize, key_size: usize): u32;

// --- stream control, local replies ---
@external("env", "proxy_get_status")
export declare function proxy_get_status(code_out: usize, ptr_out: usize, size_out: usize): u32;
@external("env", "proxy_continue_stream")
export declare function proxy_continue_stream(stream: u32): u32;
@external("env", "proxy_close_stream")
export declare function proxy_close_stream(stream: u32): u32;
@external("env", "proxy_send_local_response")
export declare function proxy_send_local_response(status: u32, details: usize, details_size: usize, body: usize, body_size: usize,
  headers: usize, headers_size: usize, grpc_status: i32): u32;

// --- HTTP callouts ---
@external("env", "proxy_http_call")
export declare function proxy_http_call(upstream: usize, upstream_size: usize, headers: usize, headers_size: usize,
  body: usize, body_size: usize, trailers: usize, trailers_size: usize, timeout_ms: u32, token_out: usize): u32;

// --- Redis (Higress) ---
@external("env", "proxy_redis_init")
export declare function proxy_redis_init(cluster: usize, cluster_size: usize, user: usize, user_size: usize,
  password: usize, password_size: usize, timeout_ms: u32): u32;
@external("env", "proxy_redis_call")
export declare function proxy_redis_call(cluster: usize, cluster_size: usize, query: usize, query_size: usize, token_out: usize): u32;

// --- shared data ---
@external("env", "proxy_get_shared_data")
export declare function proxy_get_shared_data(key: usize, key_size: usize, ptr_out: usize, size_out: usize, cas_out: usize): u32;
@external("env", "proxy_set_shared_data")
export declare function proxy_set_shared_data(key: usize, key_size: usize, value: usize, value_size: usize, cas: u32): u32;

// --- metrics ---
@external("env", "proxy_define_metric")
export declare function proxy_define_metric(type: u32, name: usize, name_size: usize, id_out: usize): u32;
@external("env", "proxy_increment_metric")
export declare function proxy_increment_metric(id: u32, delta: i64): u32;
@external("env", "proxy_record_metric")
export declare function proxy_record_metric(id: u32, value: u64): u32;
@external("env", "proxy_get_metric")
export declare function proxy_get_metric(id: u32, value_out: usize): u32;

// --- properties, contexts ---
@external("env", "proxy_get_property")
export declare function proxy_get_property(path: usize, path_size: usize, ptr_out: usize, size_out: usize): u32;
@external("env", "proxy_set_property")
export declare function proxy_set_property(path: usize, path_size: usize, value: usize, value_size: usize): u32;
@external("env", "proxy_set_effective_context")
export declare function proxy_set_effective_context(context_id: u32): u32;
@external("env", "proxy_done")
export declare function proxy_done(): u32;

// --- WASI: randomness for the leader-election VM id (no env.seed, no Math.random) ---
@external("wasi_snapshot_preview1", "random_get")
export declare function random_get(buf: usize, len: usize): u16;
