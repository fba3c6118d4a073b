// xl: the ops command line, over the router's REST API (router/registry/registry_api.h).
//
//   xl [--api URL] camera ls [--region P]
//   xl [--api URL] camera show ID
//   xl [--api URL] camera add --id ID --name NAME --url URL [--region R] [--username U]
//                             [--password P] [--disabled] [--profile JSON]
//   xl [--api URL] camera set ID [--name ..] [--url ..] [--region ..] [--username ..]
//                             [--password ..] [--enabled true|false] [--profile JSON]
//   xl [--api URL] camera rm ID
//   xl [--api URL] import FILE.csv [--dry-run] [--wait S]
//   xl [--api URL] status [--all]
//   xl [--api URL] worker ls
//   xl [--api URL] live ID --out FILE.mp4 [--seconds S]   record live fMP4 over WebSocket
//   xl [--api URL] rec ls CAMERA [--from T] [--to T]  recorded ranges and gaps (default: the last day)
//   xl [--api URL] rec export CAMERA --from T --to T --out FILE.mp4
//                                                  an evidence export (≤ 30 min) and its manifest (FILE.json);
//                                                  T: 2026-12-03T03:10:00 (local), -30m, now, or ms
//   xl key gen --out FILE                          a new CURVE key pair (mode 0600); prints its public key
//   xl [--api URL] key ls                          the router's public key and the registered keys
//   xl [--api URL] key add (worker ID | user NAME) KEY|FILE   let a worker or a user's client in
//   xl [--api URL] key add child SITE KEY|FILE --prefix REGION [--live-kbps N]
//                                                  let a child router in, speaking for REGION, with a
//                                                  live video budget on its link (default 8000 kbit/s)
//   xl [--api URL] key budget KEY|FILE KBPS        a child link's live budget
//   xl [--api URL] link ls                         links to the parent and child routers and to a GB/T 28181
//                                                  upper platform: state, lag, cameras, live streams
//   xl [--api URL] key rm KEY|FILE                 revoke a key (its connections are refused from then on)
//   xl [--api URL] user ls                         desk users (inside the admin's region)
//   xl [--api URL] user add NAME ROLE [REGION]     a desk user; password from XL_USER_PASSWORD
//   xl [--api URL] user passwd NAME                a new password from XL_USER_PASSWORD
//   xl [--api URL] user set NAME ROLE [REGION]     another role or region
//   xl [--api URL] user disable|enable|rm NAME     their sessions, sockets and players end at once
//
// --api defaults to http://127.0.0.1:8080. The router needs a desk user's session: xl logs in
// as --user (default admin) with the password in the environment variable XL_PASSWORD
// (never on the command line, where ps would show it); changes need an admin.
// Exit codes: 0 done, 1 refused or failed, 2 usage.
// Passwords are never printed (the API returns "***").
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

#include <libsoup/soup.h>

#include "common/cli.h"
#include "common/http_client.h"
#include "common/json_text.h"
#include "common/sha256_hex.h"
#include "proto/wire/curve.h"

namespace {

using nlohmann::json;

constexpr const char* kUsage =
    "usage: xl [--api URL] [--user U] camera ls [--region P] | camera show ID |\n"
    "          camera add --id ID --name NAME --url URL [--region R] [--username U] [--password P] [--disabled]"
    " [--profile JSON] |\n"
    "          camera set ID [--name N] [--url U] [--region R] [--username U] [--password P]"
    " [--enabled true|false] [--profile JSON] |\n"
    "          camera rm ID | import FILE.csv [--dry-run] [--wait S] | status [--all] | worker ls |\n"
    "          live ID --out FILE.mp4 [--seconds S] | link ls |\n"
    "          rec ls CAMERA [--from T] [--to T] | rec export CAMERA --from T --to T --out FILE.mp4 |\n"
    "          key gen --out FILE | key ls | key add (worker ID | user NAME) KEY|FILE |\n"
    "          key add child SITE KEY|FILE --prefix REGION [--live-kbps N] | key budget KEY|FILE KBPS |\n"
    "          key rm KEY|FILE |\n"
    "          user ls | user add NAME ROLE [REGION] | user passwd NAME | user set NAME ROLE [REGION] |\n"
    "          user disable NAME | user enable NAME | user rm NAME   (passwords from XL_USER_PASSWORD)\n";

struct Cli {
  std::string api = "http://127.0.0.1:8080";
  std::string user = "admin";
  mutable std::string cookie;  // "xl_session=…" once logged in

  // Logs in once; false (after printing why) when the router refuses. A router busy checking
  // other passwords (503, several clients logging in at once) is asked again after its
  // Retry-After, up to kLoginTries times.
  static constexpr int kLoginTries = 20;
  bool LogIn() const {
    if (!cookie.empty()) return true;
    const char* password = std::getenv("XL_PASSWORD");
    xl::Result<xl::HttpReply> r = xl::Error{"not tried"};
    for (int tries = 0; tries < kLoginTries; ++tries) {
      r = xl::HttpCall("POST", api + "/api/login",
                       xl::JsonText(json{{"user", user}, {"password", password ? password : ""}}));
      if (!r.ok() || r->status != 503) break;
      int wait_s = 1;
      for (const auto& [name, value] : r->headers) {
        if (name == "Retry-After") wait_s = int(xl::ParseIntArg(value, 1, 10).value_or(1));
      }
      std::this_thread::sleep_for(std::chrono::seconds(wait_s));
    }
    if (!r.ok()) {
      std::cerr << "xl: " << r.error().message << "\n";
      return false;
    }
    for (const auto& [name, value] : r->headers) {
      if (name == "Set-Cookie") cookie = value.substr(0, value.find(';'));
    }
    if (r->status != 200 || cookie.empty()) {
      std::cerr << "xl: login as " << user << " refused (HTTP " << r->status << "); set XL_PASSWORD\n";
      return false;
    }
    return true;
  }

  // Calls the API; prints the error and returns nullopt unless the status is 2xx.
  std::optional<json> Call(const std::string& method, const std::string& path, const std::string& body = "",
                           const std::string& type = "application/json") const {
    if (!LogIn()) return std::nullopt;
    auto r = xl::HttpCall(method, api + path, body, type, 60, {{"Cookie", cookie}});
    if (!r.ok()) {
      std::cerr << "xl: " << r.error().message << "\n";
      return std::nullopt;
    }
    json j = json::parse(r->body, nullptr, false);
    if (r->status < 200 || r->status >= 300) {
      std::cerr << "xl: " << (j.is_object() && j.contains("error") ? j["error"].get<std::string>() : r->body)
                << " (HTTP " << r->status << ")\n";
      return std::nullopt;
    }
    return j;
  }
};

std::string Cell(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  if (v.is_number_float()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v.get<double>());
    return buf;
  }
  return xl::JsonText(v);
}

// Prints rows as a table with the given columns.
void Table(const json& rows, const std::vector<std::pair<std::string, std::string>>& cols) {
  std::vector<size_t> width;
  for (const auto& [key, title] : cols) width.push_back(title.size());
  auto display = [](const std::string& s) {  // columns a CJK string takes, roughly
    size_t w = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(s[i]);
      if ((c & 0xC0) == 0x80) continue;
      w += c >= 0xE0 ? 2 : 1;
    }
    return w;
  };
  for (const json& r : rows) {
    for (size_t i = 0; i < cols.size(); ++i)
      width[i] = std::max(width[i], display(Cell(r.value(cols[i].first, json()))));
  }
  auto print = [&](auto get) {
    for (size_t i = 0; i < cols.size(); ++i) {
      std::string s = get(i);
      std::cout << s << std::string(width[i] - display(s) + 2, ' ');
    }
    std::cout << "\n";
  };
  print([&](size_t i) { return cols[i].second; });
  for (const json& r : rows) print([&](size_t i) { return Cell(r.value(cols[i].first, json())); });
}

const std::vector<std::pair<std::string, std::string>> kCameraCols = {
    {"id", "ID"},         {"name", "NAME"},   {"region", "REGION"},         {"state", "STATE"},  {"worker", "WORKER"},
    {"fps_in", "FPS IN"}, {"kbps", "KBIT/S"}, {"reconnects", "RECONNECTS"}, {"reason", "REASON"}};

// Parses "--key value" pairs from args[from..] into a JSON object of camera fields.
std::optional<json> Fields(const std::vector<std::string>& args, size_t from, bool adding) {
  json j = json::object();
  for (size_t i = from; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (adding && a == "--disabled") {
      j["enabled"] = false;
      continue;
    }
    if (a.rfind("--", 0) != 0 || i + 1 >= args.size()) return std::nullopt;
    const std::string key = a.substr(2), value = args[++i];
    if (key == "enabled") {
      if (value != "true" && value != "false") return std::nullopt;
      j[key] = value == "true";
    } else if (key == "profile") {
      json p = json::parse(value, nullptr, false);
      if (p.is_discarded()) {
        std::cerr << "xl: --profile must be a JSON object\n";
        return std::nullopt;
      }
      j[key] = p;
    } else if ((adding && key == "id") || key == "name" || key == "url" || key == "region" || key == "username" ||
               key == "password") {
      j[key] = value;
    } else {
      return std::nullopt;
    }
  }
  return j;
}

void Bar(size_t done, size_t total) {
  const int width = 40;
  const int filled = total ? int(width * done / total) : width;
  std::cerr << "\r[" << std::string(size_t(filled), '#') << std::string(size_t(width - filled), '.') << "] " << done
            << "/" << total << " handed to workers" << std::flush;
}

int Import(const Cli& cli, const std::vector<std::string>& args) {
  if (args.size() < 2) return 2;
  bool dry_run = false;
  int wait_s = 60;
  for (size_t i = 2; i < args.size(); ++i) {
    if (args[i] == "--dry-run") dry_run = true;
    else if (args[i] == "--wait" && i + 1 < args.size() && xl::ParseIntArg(args[i + 1], 0, 86400))
      wait_s = int(*xl::ParseIntArg(args[++i], 0, 86400));
    else return 2;
  }
  std::ifstream in(args[1], std::ios::binary);
  if (!in) {
    std::cerr << "xl: cannot read " << args[1] << "\n";
    return 1;
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto r = cli.Call("POST", std::string("/api/import") + (dry_run ? "?dry_run=1" : ""), text.str(), "text/csv");
  if (!r) return 1;
  for (const json& e : (*r)["errors"]) {
    std::cout << args[1] << ": row " << e["row"].get<int>() << ": " << e["reason"].get<std::string>() << "\n";
  }
  std::cout << (*r)["rows"].get<int>() << " rows: " << (*r)["valid"].get<int>() << " valid, " << (*r)["errors"].size()
            << " refused; " << (dry_run ? "dry run, nothing applied" : "applied") << "\n";
  if (dry_run || (*r)["valid"].get<int>() == 0 || wait_s == 0) return (*r)["errors"].empty() ? 0 : 1;

  // Progress: the imported cameras as the workers take them on.
  std::set<std::string> ids;
  for (const json& id : (*r)["ids"]) ids.insert(id.get<std::string>());
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
  size_t handed = 0;
  while (std::chrono::steady_clock::now() < end) {
    auto list = cli.Call("GET", "/api/cameras");
    if (!list) return 1;
    handed = 0;
    for (const json& c : *list) handed += ids.count(c["id"].get<std::string>()) && c["handed"].get<bool>();
    Bar(handed, ids.size());
    if (handed == ids.size()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  std::cerr << "\n";
  if (handed < ids.size())
    std::cout << "xl: " << ids.size() - handed << " cameras not yet taken on by a worker (is one running?)\n";
  return (*r)["errors"].empty() && handed == ids.size() ? 0 : 1;
}

// Records a camera's live fMP4 stream (ws://…/live/ID) into `path` for `seconds`.
int Live(const Cli& cli, const std::string& camera, const std::string& path, int seconds) {
  std::string url = cli.api;
  if (url.rfind("http", 0) == 0) url.replace(0, 4, "ws");
  url += "/live/" + camera;
  struct State {
    GMainLoop* loop;
    std::ofstream out;
    std::string mime, error;
    size_t messages = 0, bytes = 0;
    SoupWebsocketConnection* conn = nullptr;
  } st{g_main_loop_new(nullptr, FALSE), std::ofstream(path, std::ios::binary | std::ios::trunc), "", "", 0, 0, nullptr};
  if (!st.out) {
    std::cerr << "xl: cannot write " << path << "\n";
    return 1;
  }
  if (!cli.LogIn()) return 1;
  SoupSession* session = soup_session_new();
  SoupMessage* msg = soup_message_new("GET", url.c_str());
  if (!msg) {
    std::cerr << "xl: bad URL " << url << "\n";
    return 1;
  }
  soup_message_headers_append(soup_message_get_request_headers(msg), "Cookie", cli.cookie.c_str());
  soup_session_websocket_connect_async(
      session, msg, nullptr, nullptr, G_PRIORITY_DEFAULT, nullptr,
      [](GObject* src, GAsyncResult* res, gpointer data) {
        auto* st = static_cast<State*>(data);
        GError* err = nullptr;
        st->conn = soup_session_websocket_connect_finish(SOUP_SESSION(src), res, &err);
        if (!st->conn) {
          st->error = err ? err->message : "cannot connect";
          if (err) g_error_free(err);
          g_main_loop_quit(st->loop);
          return;
        }
        g_signal_connect(st->conn, "message",
                         G_CALLBACK(+[](SoupWebsocketConnection*, gint type, GBytes* b, gpointer d) {
                           auto* st = static_cast<State*>(d);
                           gsize n = 0;
                           const char* p = static_cast<const char*>(g_bytes_get_data(b, &n));
                           if (type == SOUP_WEBSOCKET_DATA_TEXT) {
                             std::string text(p, n);
                             const json said = json::parse(text, nullptr, false);
                             if (said.is_object()) st->error = said.value("error", text);  // {"error": why}
                             else st->mime = text;
                             return;
                           }
                           st->out.write(p, std::streamsize(n));
                           ++st->messages;
                           st->bytes += n;
                         }),
                         st);
        g_signal_connect(st->conn, "closed", G_CALLBACK(+[](SoupWebsocketConnection*, gpointer d) {
                           g_main_loop_quit(static_cast<State*>(d)->loop);
                         }),
                         st);
      },
      &st);
  g_timeout_add_seconds(
      guint(seconds),
      [](gpointer loop) -> gboolean {
        g_main_loop_quit(static_cast<GMainLoop*>(loop));
        return G_SOURCE_REMOVE;
      },
      st.loop);
  g_main_loop_run(st.loop);
  if (st.conn) {
    if (soup_websocket_connection_get_state(st.conn) == SOUP_WEBSOCKET_STATE_OPEN) {
      soup_websocket_connection_close(st.conn, SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
    }
    g_object_unref(st.conn);
  }
  g_object_unref(msg);
  g_object_unref(session);
  g_main_loop_unref(st.loop);
  if (!st.error.empty()) {
    std::cerr << "xl: " << st.error << "\n";
    return 1;
  }
  std::cout << st.mime << "\n" << st.messages << " messages, " << st.bytes << " bytes written to " << path << "\n";
  return st.messages > 1 ? 0 : 1;
}

// xl key …: returns the exit code (2: usage).
int Key(const Cli& cli, const std::vector<std::string>& args) {
  const std::string sub = args.size() > 1 ? args[1] : "";
  if (sub == "gen" && args.size() == 4 && args[2] == "--out") {
    auto pair = xl::GenerateCurveKeyPair();
    xl::Status written = pair.ok() ? xl::WriteCurveKeyPair(args[3], *pair) : xl::Status(pair.error());
    if (!written.ok()) {
      std::cerr << "xl: " << written.message() << "\n";
      return 1;
    }
    std::cout << pair->public_key << "\n";
    return 0;
  }
  if (sub == "ls" && args.size() == 2) {
    auto r = cli.Call("GET", "/api/keys");
    if (!r) return 1;
    std::cout << "router " << (*r)["router"].get<std::string>() << "\n";
    Table((*r)["keys"], {{"public_key", "KEY"},
                         {"kind", "KIND"},
                         {"name", "NAME"},
                         {"prefix", "REGION"},
                         {"live_kbps", "LIVE KBIT/S"}});
    return 0;
  }
  // xl key add worker|user NAME KEY, xl key add child SITE KEY --prefix REGION [--live-kbps N]
  const bool child = (args.size() == 7 || (args.size() == 9 && args[7] == "--live-kbps")) && args[2] == "child" &&
                     args[5] == "--prefix";
  if (sub == "add" && ((args.size() == 5 && (args[2] == "worker" || args[2] == "user")) || child)) {
    auto key = xl::ResolvePublicKey(args[4]);
    if (!key.ok()) {
      std::cerr << "xl: " << key.error().message << "\n";
      return 1;
    }
    const std::string& kind = args[2];
    json body{{"public_key", *key}, {"kind", kind}, {"name", args[3]}};
    if (child) body["prefix"] = args[6];
    if (args.size() == 9) {
      auto kbps = xl::ParseIntArg(args[8], 1, 100'000'000);
      if (!kbps) return 2;
      body["live_kbps"] = *kbps;
    }
    auto r = cli.Call("POST", "/api/keys", xl::JsonText(body));
    if (!r) return 1;
    std::cout << "registered " << kind << " key " << *key << " for " << args[3]
              << (child ? " (region " + args[6] + ", live budget " + Cell(r->value("live_kbps", json())) + " kbit/s)"
                        : "")
              << "\n";
    return 0;
  }
  // xl key budget KEY KBPS: a child link's live budget
  if (sub == "budget" && args.size() == 4) {
    auto key = xl::ResolvePublicKey(args[2]);
    auto kbps = xl::ParseIntArg(args[3], 1, 100'000'000);
    if (!kbps) return 2;
    if (!key.ok()) {
      std::cerr << "xl: " << key.error().message << "\n";
      return 1;
    }
    char* escaped = g_uri_escape_string(key->c_str(), nullptr, FALSE);
    const bool changed =
        cli.Call("PATCH", std::string("/api/keys?public_key=") + escaped, xl::JsonText(json{{"live_kbps", *kbps}}))
            .has_value();
    g_free(escaped);
    if (!changed) return 1;
    std::cout << "live budget of " << *key << ": " << *kbps << " kbit/s\n";
    return 0;
  }
  if (sub == "rm" && args.size() == 3) {
    auto key = xl::ResolvePublicKey(args[2]);
    if (!key.ok()) {
      std::cerr << "xl: " << key.error().message << "\n";
      return 1;
    }
    char* escaped = g_uri_escape_string(key->c_str(), nullptr, FALSE);
    const bool removed = cli.Call("DELETE", std::string("/api/keys?public_key=") + escaped).has_value();
    g_free(escaped);
    if (!removed) return 1;
    std::cout << "removed " << *key << "\n";
    return 0;
  }
  return 2;
}

// xl user …: returns the exit code (2: usage).
int User(const Cli& cli, const std::vector<std::string>& args) {
  const std::string sub = args.size() > 1 ? args[1] : "";
  // A new password comes from the environment, never the command line (ps shows that).
  auto new_password = []() -> std::optional<std::string> {
    const char* pw = std::getenv("XL_USER_PASSWORD");
    if (!pw || !*pw) {
      std::cerr << "xl: set the new password in the environment variable XL_USER_PASSWORD\n";
      return std::nullopt;
    }
    return std::string(pw);
  };
  if (sub == "ls" && args.size() == 2) {
    auto r = cli.Call("GET", "/api/users");
    if (!r) return 1;
    Table(*r, {{"user", "USER"}, {"role", "ROLE"}, {"region", "REGION"}, {"disabled", "DISABLED"}});
    return 0;
  }
  if (args.size() < 3) return 2;
  const std::string& name = args[2];
  char* escaped = g_uri_escape_string(name.c_str(), nullptr, FALSE);
  const std::string path = std::string("/api/users/") + escaped;
  g_free(escaped);
  if (sub == "add" && (args.size() == 4 || args.size() == 5)) {
    auto pw = new_password();
    if (!pw) return 1;
    json body{{"user", name}, {"password", *pw}, {"role", args[3]}, {"region", args.size() == 5 ? args[4] : ""}};
    if (!cli.Call("POST", "/api/users", xl::JsonText(body))) return 1;
    std::cout << "added user " << name << " (" << args[3] << ")\n";
    return 0;
  }
  if (sub == "set" && (args.size() == 4 || args.size() == 5)) {
    json body{{"role", args[3]}, {"region", args.size() == 5 ? args[4] : ""}};
    if (!cli.Call("PATCH", path, xl::JsonText(body))) return 1;
    std::cout << "changed user " << name << "\n";
    return 0;
  }
  if (sub == "passwd" && args.size() == 3) {
    auto pw = new_password();
    if (!pw || !cli.Call("PATCH", path, xl::JsonText(json{{"password", *pw}}))) return 1;
    std::cout << "new password set for " << name << " (their sessions ended)\n";
    return 0;
  }
  if ((sub == "disable" || sub == "enable") && args.size() == 3) {
    if (!cli.Call("PATCH", path, xl::JsonText(json{{"disabled", sub == "disable"}}))) return 1;
    std::cout << sub << "d user " << name << "\n";
    return 0;
  }
  if (sub == "rm" && args.size() == 3) {
    if (!cli.Call("DELETE", path)) return 1;
    std::cout << "removed user " << name << "\n";
    return 0;
  }
  return 2;
}

}  // namespace

// A time on the command line as wall-clock ms: "2026-12-03T03:10:00" or "2026-12-03 03:10"
// (local time), "now", "-90s" / "-30m" / "-2h" / "-1d" (before now), or milliseconds since 1970.
std::optional<int64_t> ParseWhen(const std::string& s) {
  const int64_t now =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  if (s == "now") return now;
  if (s.size() >= 3 && s[0] == '-') {
    const auto n = xl::ParseIntArg(s.substr(1, s.size() - 2), 0, 100000000);
    const char unit = s.back();
    const int64_t scale = unit == 's' ? 1000 : unit == 'm' ? 60000 : unit == 'h' ? 3600000 : unit == 'd' ? 86400000 : 0;
    if (!n || !scale) return std::nullopt;
    return now - *n * scale;
  }
  if (s.find_first_not_of("0123456789") == std::string::npos) {
    return xl::ParseIntArg(s, 0, INT64_MAX);
  }
  std::tm tm{};
  for (const char* format : {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"}) {
    tm = {};
    const char* end = strptime(s.c_str(), format, &tm);
    if (end && *end == '\0') {
      tm.tm_isdst = -1;
      const std::time_t t = std::mktime(&tm);
      if (t == -1) return std::nullopt;
      return int64_t(t) * 1000;
    }
  }
  return std::nullopt;
}

std::string When(int64_t ms) {
  const std::time_t t = std::time_t(ms / 1000);
  std::tm local{};
  localtime_r(&t, &local);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
  return text;
}

std::string Length(int64_t ms) {
  char text[32];
  const int64_t s = (ms + 500) / 1000;
  std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", (long long)(s / 3600), (long long)(s / 60 % 60),
                (long long)(s % 60));
  return text;
}

// xl rec ls CAMERA --from T --to T | xl rec export CAMERA --from T --to T --out FILE.mp4
int Rec(const Cli& cli, const std::vector<std::string>& args) {
  if (args.size() < 3) return 2;
  const std::string sub = args[1], camera = args[2];
  std::optional<int64_t> from, to;
  std::string out;
  for (size_t i = 3; i + 1 < args.size(); i += 2) {
    if (args[i] == "--from") from = ParseWhen(args[i + 1]);
    else if (args[i] == "--to") to = ParseWhen(args[i + 1]);
    else if (args[i] == "--out") out = args[i + 1];
    else return 2;
  }
  if ((args.size() - 3) % 2) return 2;
  if (!from) from = ParseWhen(sub == "ls" ? "-1d" : "");
  if (!to) to = ParseWhen("now");
  if (!from || !to || *to <= *from) {
    std::cerr << "xl: give --from and --to (2026-12-03T03:10:00, -30m, now or ms), from before to\n";
    return 2;
  }
  if (sub == "ls") {
    auto r = cli.Call(
        "GET", "/api/desk/recordings/" + camera + "?from=" + std::to_string(*from) + "&to=" + std::to_string(*to));
    if (!r) return 1;
    json rows = json::array();
    for (const json& g : (*r)["ranges"]) {
      rows.push_back({{"from", When(g["from_ms"])},
                      {"to", When(g["to_ms"])},
                      {"length", Length(g["to_ms"].get<int64_t>() - g["from_ms"].get<int64_t>())},
                      {"what", "recorded"},
                      {"from_ms", g["from_ms"]}});
    }
    for (const json& g : (*r)["gaps"]) {
      rows.push_back({{"from", When(g["from_ms"])},
                      {"to", When(g["to_ms"])},
                      {"length", Length(g["to_ms"].get<int64_t>() - g["from_ms"].get<int64_t>())},
                      {"what", "gap: " + g["reason"].get<std::string>()},
                      {"from_ms", g["from_ms"]}});
    }
    std::sort(rows.begin(), rows.end(),
              [](const json& a, const json& b) { return a["from_ms"].get<int64_t>() < b["from_ms"].get<int64_t>(); });
    Table(rows, {{"from", "FROM"}, {"to", "TO"}, {"length", "LENGTH"}, {"what", "WHAT"}});
    std::cout << (*r)["alerts"].size() << " alerts in the range\n";
    for (const json& u : (*r)["unreachable"]) {
      std::cout << "worker " << Cell(u["worker"]) << " not asked: " << Cell(u["reason"]) << "\n";
    }
    return 0;
  }
  if (sub != "export" || out.empty()) return 2;
  auto made =
      cli.Call("POST", "/api/desk/exports", xl::JsonText(json{{"camera", camera}, {"from_ms", *from}, {"to_ms", *to}}));
  if (!made) return 1;
  const std::string id = (*made)["export"];
  auto file = xl::HttpCall("GET", cli.api + "/api/desk/exports/" + id + ".mp4", "", "", 300, {{"Cookie", cli.cookie}});
  if (!file.ok() || file->status != 200) {
    std::cerr << "xl: export " << id << " made, but its download failed: "
              << (file.ok() ? "HTTP " + std::to_string(file->status) : file.error().message) << "\n";
    return 1;
  }
  const std::string hex = xl::Sha256Hex(file->body);
  if ((*made)["sha256"] != hex) {
    std::cerr << "xl: export " << id << ": the downloaded file's SHA-256 " << hex << " is not the manifest's "
              << Cell((*made)["sha256"]) << "\n";
    return 1;
  }
  const std::string manifest_path = (out.ends_with(".mp4") ? out.substr(0, out.size() - 4) : out) + ".json";
  std::ofstream(out, std::ios::binary) << file->body;
  std::ofstream(manifest_path) << made->dump(2) << "\n";
  std::cout << "export " << id << ": " << out << " (" << file->body.size() << " bytes, sha256 " << hex
            << ", matches the manifest), manifest " << manifest_path << "\n";
  return 0;
}

int main(int argc, char** argv) {
  Cli cli;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--api" && i + 1 < argc) cli.api = argv[++i];
    else if (std::string(argv[i]) == "--user" && i + 1 < argc) cli.user = argv[++i];
    else args.emplace_back(argv[i]);
  }
  auto usage = [] {
    std::cerr << kUsage;
    return 2;
  };
  if (args.empty()) return usage();
  const std::string& cmd = args[0];
  const std::string sub = args.size() > 1 ? args[1] : "";

  if (cmd == "camera" && sub == "ls") {
    std::string path = "/api/cameras";
    if (args.size() == 4 && args[2] == "--region") path += "?region=" + args[3];
    else if (args.size() != 2) return usage();
    auto r = cli.Call("GET", path);
    if (!r) return 1;
    Table(*r, kCameraCols);
    return 0;
  }
  if (cmd == "camera" && sub == "show" && args.size() == 3) {
    auto r = cli.Call("GET", "/api/cameras/" + args[2]);
    if (!r) return 1;
    std::cout << r->dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return 0;
  }
  if (cmd == "camera" && sub == "add") {
    auto fields = Fields(args, 2, true);
    if (!fields) return usage();
    auto r = cli.Call("POST", "/api/cameras", xl::JsonText(*fields));
    if (!r) return 1;
    std::cout << "added " << (*r)["id"].get<std::string>() << " (" << (*r)["name"].get<std::string>() << ")\n";
    return 0;
  }
  if (cmd == "camera" && sub == "set" && args.size() >= 3) {
    auto fields = Fields(args, 3, false);
    if (!fields || fields->empty()) return usage();
    auto r = cli.Call("PUT", "/api/cameras/" + args[2], xl::JsonText(*fields));
    if (!r) return 1;
    std::cout << "changed " << args[2] << "\n";
    return 0;
  }
  if (cmd == "camera" && sub == "rm" && args.size() == 3) {
    if (!cli.Call("DELETE", "/api/cameras/" + args[2])) return 1;
    std::cout << "removed " << args[2] << "\n";
    return 0;
  }
  if (cmd == "import") {
    int rc = Import(cli, args);
    return rc == 2 ? usage() : rc;
  }
  if (cmd == "status") {
    const bool all = sub == "--all";
    auto r = cli.Call("GET", "/api/status");
    if (!r) return 1;
    const json& t = (*r)["totals"];
    std::cout << t["cameras"].get<int>() << " cameras, " << t["handed"].get<int>() << " running on workers;";
    for (const auto& [state, n] : t["by_state"].items()) std::cout << " " << state << " " << n.get<int>();
    std::cout << "\n";
    json rows = json::array();
    for (const json& c : (*r)["cameras"]) {
      if (all || c["trouble"].get<int>() > 0) rows.push_back(c);
    }
    if (!rows.empty()) Table(rows, kCameraCols);
    else std::cout << "no camera in trouble\n";
    return 0;
  }
  if (cmd == "live" && args.size() >= 4 && args[2] == "--out") {
    int seconds = 5;
    if (args.size() == 6 && args[4] == "--seconds" && xl::ParseIntArg(args[5], 1, 86400)) {
      seconds = int(*xl::ParseIntArg(args[5], 1, 86400));
    } else if (args.size() != 4) {
      return usage();
    }
    return Live(cli, sub, args[3], seconds);
  }
  if (cmd == "rec") {
    int rc = Rec(cli, args);
    return rc == 2 ? usage() : rc;
  }
  if (cmd == "key") {
    int rc = Key(cli, args);
    return rc == 2 ? usage() : rc;
  }
  if (cmd == "user") {
    int rc = User(cli, args);
    return rc == 2 ? usage() : rc;
  }
  if (cmd == "link" && sub == "ls") {
    auto r = cli.Call("GET", "/api/links");
    if (!r) return 1;
    json rows = json::array();
    if ((*r)["parent"].is_object()) {
      json p = (*r)["parent"];
      rows.push_back({{"link", "parent"},
                      {"site", p["endpoint"]},
                      {"state", p["state"]},
                      {"for_s", p["for_s"]},
                      {"lag", p["lag_alerts"]},
                      {"cameras", p["catalog_cameras"]},
                      {"live", p["live_streams"]},
                      {"live_refused", p["live_refused"]},
                      {"refused", p["refused"]}});
    }
    for (const json& c : (*r)["children"]) {
      rows.push_back({{"link", "child"},
                      {"site", c["site"]},
                      {"region", c["region"]},
                      {"state", c["state"]},
                      {"for_s", c["for_s"]},
                      {"lag", c["behind"]},
                      {"alerts", c["alerts"]},
                      {"cameras", c["cameras"]},
                      {"live", c["live_streams"]},
                      {"kbps", c["live_kbps"]},
                      {"budget", c["live_budget_kbps"]},
                      {"live_refused", c["live_refused"]},
                      {"refused", c["refused"]}});
    }
    if ((*r)["gb_upper"].is_object()) {  // the GB/T 28181 upper platform (police video platform)
      json g = (*r)["gb_upper"];
      rows.push_back({{"link", "gb28181"},
                      {"site", g["upper_id"].get<std::string>() + "@" + g["address"].get<std::string>()},
                      {"state", g["state"]},
                      {"for_s", g["for_s"]},
                      {"alerts", g["alarms_sent"]},
                      {"cameras", g["catalog_cameras"]},
                      {"live", g["live_streams"]},
                      {"kbps", g["live_kbps"]},
                      {"refused", g["refused"]}});
    }
    Table(rows, {{"link", "LINK"},
                 {"site", "SITE"},
                 {"region", "REGION"},
                 {"state", "STATE"},
                 {"for_s", "FOR S"},
                 {"lag", "LAG (ALERTS)"},
                 {"alerts", "ALERTS"},
                 {"cameras", "CAMERAS"},
                 {"live", "LIVE"},
                 {"kbps", "KBIT/S"},
                 {"budget", "BUDGET"},
                 {"live_refused", "LIVE REFUSED"},
                 {"refused", "REFUSED"}});
    return 0;
  }
  if (cmd == "worker" && sub == "ls") {
    auto r = cli.Call("GET", "/api/workers");
    if (!r) return 1;
    Table(*r, {{"id", "WORKER"},
               {"live", "LIVE"},
               {"cameras", "CAMERAS"},
               {"cpu_cores", "CPU"},
               {"silent_s", "SILENT S"},
               {"up_to_date", "UP TO DATE"}});
    return 0;
  }
  return usage();
}
