// How the sanitizers behave in the sanitized build (XL_SANITIZE, deploy/setup.sh --asan): this
// file is linked into every program there, so a test, the processes it starts and a binary run
// by hand all behave alike. ASAN_OPTIONS / UBSAN_OPTIONS in the environment still override.
//
// Leaks are not checked: GLib, GStreamer and OpenCV keep process-lifetime allocations (type
// registries, plugin caches) that LeakSanitizer would report in every process.
extern "C" const char* __asan_default_options() { return "detect_leaks=0:halt_on_error=1:strict_string_checks=1"; }
extern "C" const char* __ubsan_default_options() { return "print_stacktrace=1:halt_on_error=1"; }
