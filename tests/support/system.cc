#include "tests/support/system.h"

#include <nlohmann/json.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "proto/wire/curve.h"
#include "router/keys/key_store.h"
#include "tests/support/media.h"
#include "tests/support/net_namespaces.h"

namespace xl::test {

System::System(const std::string& name)
    : dir_(TempDir(name)),
      db_dir_(dir_),
      rtsp_port_(FreePort()),
      worker_port_(FreePort()),
      client_port_(FreePort()),
      control_port_(FreePort()),
      media_port_(FreePort()),
      video_port_(FreePort()),
      http_port_(FreePort()),
      relay_port_(FreePort()) {
  RouterKeyIn(dir_);
}

namespace {
// The key pair in `path`, made there when missing.
CurveKeyPair KeyPairAt(const std::string& path) {
  auto pair = LoadOrCreateCurveKeyPair(path);
  if (!pair.ok()) std::abort();
  return pair.value();
}
}  // namespace

std::string RouterKeyIn(const std::string& dir) {
  KeyPairAt(dir + "/router.key");
  return dir + "/router.key";
}

std::string TrustKeyIn(const std::string& dir, const std::string& database, const std::string& name,
                       const std::string& kind, const std::string& owner) {
  const std::string path = dir + "/" + name + ".key";
  const CurveKeyPair pair = KeyPairAt(path);
  auto keys = router::KeyStore::Open(database);
  if (!keys.ok()) std::abort();
  Status added =
      (*keys)->Add({pair.public_key, kind == "user" ? router::PeerKind::kUser : router::PeerKind::kWorker, owner, 0});
  if (!added.ok() && added.code() != ErrorCode::kAlreadyExists) std::abort();
  return path;
}

std::string WorkerKeysIn(const std::string& dir, const std::string& database, const std::string& id) {
  return "key_file: \"" + TrustKeyIn(dir, database, "worker-" + id, "worker", id) + "\", router_key: \"" +
         RouterKeyIn(dir) + "\"";
}

std::string System::TrustKey(const std::string& name, const std::string& kind, const std::string& owner) {
  return TrustKeyIn(dir_, Database(), name, kind, owner);
}

std::unique_ptr<Process> System::StartCamsim(const std::vector<std::string>& streams) {
  std::vector<std::string> argv = {Binary("tools/xl-camsim"),
                                   "--port",
                                   std::to_string(rtsp_port_),
                                   "--bind",
                                   "127.0.0.1",
                                   "--user",
                                   kCamUser,
                                   "--password",
                                   kCamPassword,
                                   "--fps",
                                   "10",
                                   "--cache",
                                   Fixture("camsim-cache")};
  for (const std::string& s : streams) {
    argv.push_back("--stream");
    argv.push_back(s);
  }
  auto camsim = Launch(argv, dir_ + "/camsim.log");
  // Its URLs are handed on at once, and not every client retries like the worker (ffmpeg
  // copying a stream does not): wait until it listens. Loading clips may mean transcoding.
  WaitUntil([&] { return camsim->Output().find("camsim: ready") != std::string::npos || !camsim->running(); },
            std::chrono::seconds(240));
  return camsim;
}

std::unique_ptr<Process> System::StartRouter(const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {"/usr/bin/env",
                                   std::string("XL_ADMIN_PASSWORD=") + kAdminPassword,
                                   Binary("router/xl-router"),
                                   "--workers",
                                   WorkerEndpoint(),
                                   "--clients",
                                   ClientEndpoint(),
                                   "--control",
                                   ControlEndpoint(),
                                   "--media",
                                   MediaEndpoint(),
                                   "--video",
                                   VideoEndpoint(),
                                   "--http",
                                   "127.0.0.1:" + std::to_string(http_port_),
                                   "--rtsp",
                                   "127.0.0.1:" + std::to_string(relay_port_),
                                   "--db",
                                   Database(),
                                   "--key",
                                   RouterKeyFile()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return Launch(argv, dir_ + "/router.log");
}

std::unique_ptr<Process> System::StartWorker(const std::string& id, const std::string& rest, int metrics_port,
                                             const std::string& worker_keys) {
  const std::string path = dir_ + "/" + id + ".yaml";
  const std::string key = TrustKey("worker-" + id, "worker", id);
  std::ofstream(path) << "worker:\n  id: " << id << "\n  key_file: " << key << "\n  router_key: " << RouterKeyFile()
                      << "\n  router: " << WorkerEndpoint() << "\n  control: " << ControlEndpoint()
                      << "\n  media: " << MediaEndpoint()
                      << "\n  status_interval_s: 1\n  metrics_port: " << metrics_port << "\n"
                      << worker_keys << rest;
  return Launch(std::vector<std::string>{"/usr/bin/env", std::string("XL_WORKER_TOKEN=") + kWorkerToken,
                                         std::string("XL_METRICS_TOKEN=") + kMetricsToken, Binary("ingest/xl-ingest"),
                                         "--config", path},
                dir_ + "/" + id + ".log");
}

std::unique_ptr<Process> System::StartConsole(const std::string& log, const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {Binary("tools/xl-console"),
                                   "--router",
                                   ClientEndpoint(),
                                   "--router-key",
                                   RouterKeyFile(),
                                   "--json",
                                   "--snapshots",
                                   dir_};
  if (std::find(extra.begin(), extra.end(), "--key") == extra.end()) {
    argv.push_back("--key");
    argv.push_back(TrustKey("console-admin", "user", "admin"));
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  return Launch(argv, dir_ + "/" + log);
}

int System::RunXl(const std::vector<std::string>& args, std::string* out, const std::vector<std::string>& env) {
  std::vector<std::string> argv = {"/usr/bin/env", std::string("XL_PASSWORD=") + kAdminPassword};
  argv.insert(argv.end(), env.begin(), env.end());
  argv.insert(argv.end(), {Binary("tools/xl"), "--api", HttpBase()});
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string log = dir_ + "/xl-" + std::to_string(++xl_runs_) + ".log";
  auto p = Launch(argv, log);
  int code = p->Wait(std::chrono::seconds(300));
  if (out) *out = p->Output();
  return code;
}

std::string System::LoginCookie(const std::string& user, const std::string& password) const {
  auto r = Call("POST", HttpBase() + "/api/login", "{\"user\":\"" + user + "\",\"password\":\"" + password + "\"}");
  if (!r.ok()) return "";
  for (const auto& [name, value] : r->headers) {
    if (name == "Set-Cookie") return value.substr(0, value.find(';'));
  }
  return "";
}

std::string System::AdminCookie() {
  if (admin_cookie_.empty()) admin_cookie_ = LoginCookie("admin", kAdminPassword);
  return admin_cookie_;
}

Result<HttpReply> System::Api(const std::string& method, const std::string& path, const std::string& body,
                              const std::string& type) {
  return Call(method, HttpBase() + path, body, type, 60, {{"Cookie", AdminCookie()}});
}

std::unique_ptr<Process> System::Launch(const std::vector<std::string>& argv, const std::string& log) const {
  return std::make_unique<Process>(netns_ ? netns_->Wrap(argv) : argv, log);
}

Result<HttpReply> System::Call(const std::string& method, const std::string& url, const std::string& body,
                               const std::string& type, int timeout_s,
                               const std::vector<std::pair<std::string, std::string>>& headers) const {
  if (!netns_) return HttpCall(method, url, body, type, timeout_s, headers);
  std::optional<Result<HttpReply>> reply;
  netns_->Run([&] { reply.emplace(HttpCall(method, url, body, type, timeout_s, headers)); });
  return std::move(*reply);
}

std::vector<std::string> System::HandlingSteps(const std::string& alert_id) const {
  std::vector<std::string> steps;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(Database().c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* q = nullptr;
    sqlite3_prepare_v2(db, "SELECT step, user, unit FROM handling WHERE alert_id = ? ORDER BY id", -1, &q, nullptr);
    sqlite3_bind_text(q, 1, alert_id.c_str(), -1, SQLITE_TRANSIENT);
    while (sqlite3_step(q) == SQLITE_ROW) {
      std::string row;
      for (int c = 0; c < 3; ++c) {
        const unsigned char* text = sqlite3_column_text(q, c);
        if (c) row += '/';
        row += text ? reinterpret_cast<const char*>(text) : "";
      }
      steps.push_back(row);
    }
    sqlite3_finalize(q);
  }
  sqlite3_close(db);
  return steps;
}

std::string System::RelayUrl(const std::string& camera, const std::string& login) const {
  return "rtsp://" + (login.empty() ? "" : login + "@") + "127.0.0.1:" + std::to_string(relay_port_) + "/" + camera;
}

std::string System::RtspUrl(const std::string& stream) const {
  return "rtsp://127.0.0.1:" + std::to_string(rtsp_port_) + "/" + stream;
}

double CameraMetric(int port, const std::string& name, const std::string& camera) {
  auto r = HttpCall("GET", "http://127.0.0.1:" + std::to_string(port) + "/metrics", "", "", 30, AsScraper());
  if (!r.ok()) return -1;
  const std::string key = name + "{camera=\"" + camera + "\"} ";
  const size_t at = r.value().body.find(key);
  return at == std::string::npos ? -1 : std::atof(r.value().body.c_str() + at + key.size());
}

double System::Metric(const std::string& sample) {
  auto r = Api("GET", "/metrics");
  if (!r.ok() || r->status != 200) return -1;
  const size_t at = r->body.find("\n" + sample + " ");
  return at == std::string::npos ? -1 : std::stod(r->body.substr(at + sample.size() + 2));
}

std::vector<std::string> System::Problems() {
  std::vector<std::string> keys;
  auto r = Api("GET", "/api/desk/system");
  if (r.ok() && r->status == 200) {
    const auto reply = nlohmann::json::parse(r->body, nullptr, false);
    if (reply.is_object() && reply["problems"].is_array()) {
      for (const auto& p : reply["problems"]) keys.push_back(p.value("key", ""));
    }
  }
  return keys;
}

}  // namespace xl::test
