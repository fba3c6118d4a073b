#include "ingest/worker_config.h"

#include <fstream>
#include <set>
#include <sstream>

#include "common/yaml_fields.h"
#include "proto/gb28181/channel_url.h"

namespace xl::ingest {
namespace {

using namespace yaml_fields;

// The worker's GB/T 28181 platform endpoint.
void ParseGb28181(const YAML::Node& node, gb28181::GbConfig& g) {
  RequireMap(node, "gb28181");
  CheckKeys(node, "gb28181",
            {"enabled", "id", "realm", "bind", "port", "password", "passwords", "keepalive_s", "keepalive_misses",
             "media_transport", "media_ip", "max_calls", "device_max_calls"});
  for (const auto& kv : node) {
    const std::string k = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (k == "enabled") g.enabled = Flag(v, k);
    else if (k == "id") {
      g.id = Text(v, k);
      if (!gb28181::IsGbId(g.id)) {
        Fail(v, "'id' must be a 20-digit GB28181 code");
      }
    } else if (k == "realm") g.realm = Text(v, k);
    else if (k == "bind") g.bind = Text(v, k);
    else if (k == "port") g.port = Number(v, k, 0, 65535);
    else if (k == "password") g.password = Text(v, k);
    else if (k == "passwords") {
      RequireMap(v, "passwords");
      for (const auto& p : v) g.passwords[p.first.as<std::string>()] = Text(p.second, "password");
    } else if (k == "keepalive_s") g.keepalive_s = Number(v, k, 1, 3600);
    else if (k == "keepalive_misses") g.keepalive_misses = Number(v, k, 1, 100);
    else if (k == "media_transport") {
      g.media_transport = Text(v, k);
      if (g.media_transport != "udp" && g.media_transport != "tcp") Fail(v, "'media_transport' must be udp or tcp");
    } else if (k == "media_ip") g.media_ip = Text(v, k);
    else if (k == "max_calls") g.max_calls = Number(v, k, 1, 1000);
    else if (k == "device_max_calls") {
      RequireMap(v, "device_max_calls");
      for (const auto& p : v)
        g.device_max_calls[p.first.as<std::string>()] = Number(p.second, "device_max_calls", 1, 1000);
    }
  }
  if (g.enabled && g.password.empty() && g.passwords.empty()) {
    Fail(node, "gb28181: a 'password' (or per-device 'passwords') is required when enabled");
  }
}

// The worker's clips folder and its retention limits.
void ParseClipStore(const YAML::Node& node, ClipStoreConfig& c) {
  RequireMap(node, "worker clips");
  CheckKeys(node, "worker clips", {"dir", "max_size_mb", "max_age_days"});
  for (const auto& kv : node) {
    const std::string k = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (k == "dir") c.dir = Text(v, k);
    else if (k == "max_size_mb") c.max_bytes = int64_t(Number(v, k, 1.0, 1e9) * 1e6);
    else if (k == "max_age_days") c.max_age_ms = int64_t(Number(v, k, 0.001, 36500.0) * 86400000.0);
  }
}

// The worker's recordings folder and its disk budget.
void ParseRecordingStore(const YAML::Node& node, RecordingStoreConfig& c) {
  RequireMap(node, "worker recordings");
  CheckKeys(node, "worker recordings", {"dir", "max_size_gb", "min_free_gb"});
  for (const auto& kv : node) {
    const std::string k = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (k == "dir") c.dir = Text(v, k);
    else if (k == "max_size_gb") c.max_bytes = int64_t(Number(v, k, 0.001, 1e6) * 1e9);
    else if (k == "min_free_gb") c.min_free_bytes = int64_t(Number(v, k, 0.0, 1e6) * 1e9);
  }
}

// The outbox of messages not yet acknowledged by the router.
void ParseOutbox(const YAML::Node& node, delivery::OutboxConfig& c) {
  RequireMap(node, "worker outbox");
  CheckKeys(node, "worker outbox", {"path", "max_size_mb"});
  if (node["path"]) c.path = Text(node["path"], "path");
  if (node["max_size_mb"]) c.max_bytes = int64_t(Number(node["max_size_mb"], "max_size_mb", 0.01, 1e6) * 1e6);
}

WorkerConfig Parse(const YAML::Node& root) {
  WorkerConfig w;
  if (root.IsNull()) Fail(root, "the file is empty");
  RequireMap(root, "the file");
  CheckKeys(root, "the file", {"worker", "defaults", "cameras"});
  if (const YAML::Node node = root["worker"]) {
    RequireMap(node, "worker");
    CheckKeys(node, "worker",
              {"id", "router", "control", "media", "key_file", "router_key", "status_interval_s", "video_nice",
               "metrics_port", "http_address", "http_url", "outbox", "clips", "recordings", "gb28181"});
    if (node["outbox"]) ParseOutbox(node["outbox"], w.outbox);
    if (node["clips"]) ParseClipStore(node["clips"], w.clips);
    if (node["recordings"]) ParseRecordingStore(node["recordings"], w.recordings);
    if (node["gb28181"]) ParseGb28181(node["gb28181"], w.gb28181);
    if (node["id"]) w.id = Text(node["id"], "id");
    if (node["router"]) {
      w.router = Text(node["router"], "router");
      if (!w.router.starts_with("tcp://") && !w.router.starts_with("ipc://")) {
        Fail(node["router"], "'router' must be a tcp:// or ipc:// ZeroMQ endpoint");
      }
    }
    if (node["control"]) {
      w.control = Text(node["control"], "control");
      if (!w.control.starts_with("tcp://") && !w.control.starts_with("ipc://")) {
        Fail(node["control"], "'control' must be a tcp:// or ipc:// ZeroMQ endpoint");
      }
    }
    if (node["media"]) {
      w.media = Text(node["media"], "media");
      if (!w.media.starts_with("tcp://") && !w.media.starts_with("ipc://")) {
        Fail(node["media"], "'media' must be a tcp:// or ipc:// ZeroMQ endpoint");
      }
    }
    if (node["key_file"]) w.key_file = Text(node["key_file"], "key_file");
    if (node["router_key"]) w.router_key = Text(node["router_key"], "router_key");
    if (node["http_address"]) w.http_address = Text(node["http_address"], "http_address");
    if (node["metrics_port"]) w.metrics_port = Number(node["metrics_port"], "metrics_port", 0, 65535);
    if (node["http_url"]) {
      Fail(node["http_url"],
           "'http_url' is no longer read: the router reaches a worker on the address its authenticated "
           "connection comes from; behind NAT, give the router --worker-http ID=URL");
    }
    if (node["status_interval_s"])
      w.status_interval_s = Number(node["status_interval_s"], "status_interval_s", 1, 3600);
    if (node["video_nice"]) w.video_nice = Number(node["video_nice"], "video_nice", 0, 19);
  }
  const YAML::Node defaults_node = root["defaults"];
  const CameraConfig defaults = defaults_node ? camera::ParseDefaults(defaults_node) : CameraConfig{};
  const YAML::Node cameras = root["cameras"];
  if (!cameras) Fail(root, "missing 'cameras'");
  if (!cameras.IsSequence()) Fail(cameras, "'cameras' must be a list");
  std::set<std::string> ids;
  for (const YAML::Node& node : cameras) {
    CameraConfig c = camera::ParseCamera(node, defaults, defaults_node);
    if (!ids.insert(c.id).second) Fail(node["id"], "camera id " + c.id + " is listed twice");
    w.cameras.push_back(std::move(c));
  }
  return w;
}

}  // namespace

Result<WorkerConfig> ParseWorkerConfig(const std::string& text, const std::string& filename) {
  try {
    return Parse(YAML::Load(text));
  } catch (const FieldFault& f) {
    return Error{filename + ":" + std::to_string(f.line) + ": " + f.reason};
  } catch (const YAML::Exception& e) {
    return Error{filename + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg};
  }
}

Result<WorkerConfig> LoadWorkerConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{path + ": cannot open the file"};
  std::ostringstream text;
  text << in.rdbuf();
  auto config = ParseWorkerConfig(text.str(), path);
  if (config.ok() && config->outbox.path.empty()) {
    const size_t slash = path.rfind('/');
    config->outbox.path = (slash == std::string::npos ? "" : path.substr(0, slash + 1)) + config->id + ".outbox.db";
  }
  return config;
}

}  // namespace xl::ingest
