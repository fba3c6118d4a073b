#include "proto/gb28181/manscdp.h"

#include "common/wall_time.h"

#include "common/clock.h"

#include <algorithm>
#include <cctype>

#include <glib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>

namespace xl::gb28181 {

namespace {

constexpr size_t kMaxItems = 10000;

void IgnoreXmlError(void*, const char*, ...) {}

struct DocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};

std::string Text(xmlNode* node) {
  xmlChar* s = xmlNodeGetContent(node);
  std::string out = s ? reinterpret_cast<const char*>(s) : "";
  xmlFree(s);
  // Trim the whitespace devices put around values.
  const size_t b = out.find_first_not_of(" \t\r\n"), e = out.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : out.substr(b, e - b + 1);
}

bool Is(xmlNode* n, const char* name) {
  return n->type == XML_ELEMENT_NODE && xmlStrcasecmp(n->name, reinterpret_cast<const xmlChar*>(name)) == 0;
}

bool Number(const std::string& text, long* out) {
  if (text.empty() || text.size() > 12) return false;
  char* end = nullptr;
  *out = std::strtol(text.c_str(), &end, 10);
  return *end == '\0' && *out >= 0;
}

// A small number as devices write it; -1 when it is not one.
int SmallNumber(const std::string& text) {
  long v = 0;
  return Number(text, &v) && v < 100000 ? int(v) : -1;
}

CatalogItem ParseItem(xmlNode* item) {
  CatalogItem c;
  for (xmlNode* f = item->children; f; f = f->next) {
    if (Is(f, "DeviceID")) c.device_id = Text(f);
    else if (Is(f, "Name")) c.name = Text(f);
    else if (Is(f, "Manufacturer")) c.manufacturer = Text(f);
    else if (Is(f, "Model")) c.model = Text(f);
    else if (Is(f, "CivilCode")) c.civil_code = Text(f);
    else if (Is(f, "ParentID")) c.parent_id = Text(f);
    else if (Is(f, "Status")) c.status = Text(f);
    else if (Is(f, "BusinessGroupID")) c.business_group_id = Text(f);
    else if (Is(f, "Event")) c.event = Text(f);
    else if (Is(f, "Parental")) c.parental = SmallNumber(Text(f));
    else if (Is(f, "Info")) {
      for (xmlNode* i = f->children; i; i = i->next) {
        if (Is(i, "PTZType")) c.ptz_type = std::max(0, SmallNumber(Text(i)));
      }
    }
  }
  return c;
}

// XML-escapes `s` (the five predefined entities).
RecordItem ParseRecord(xmlNode* item) {
  RecordItem r;
  for (xmlNode* f = item->children; f; f = f->next) {
    if (Is(f, "DeviceID")) r.device_id = Text(f);
    else if (Is(f, "Name")) r.name = Text(f);
    else if (Is(f, "FilePath")) r.file_path = Text(f);
    else if (Is(f, "Address")) r.address = Text(f);
    else if (Is(f, "Type")) r.type = Text(f);
    else if (Is(f, "RecorderID")) r.recorder_id = Text(f);
    else if (Is(f, "StartTime")) r.start_time = Text(f);
    else if (Is(f, "EndTime")) r.end_time = Text(f);
    else if (Is(f, "FileSize")) {
      long size = -1;
      if (Number(Text(f), &size)) r.file_size = size;
    }
  }
  r.start_ms = ParseWallTime(r.start_time).value_or(-1);
  r.end_ms = ParseWallTime(r.end_time).value_or(-1);
  return r;
}

std::string Escaped(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// True when the XML declaration names GB2312, GBK or GB18030 (any letter case).
bool DeclaresChineseEncoding(std::string_view body) {
  const std::string_view head = body.substr(0, std::min<size_t>(body.size(), 200));
  const size_t end = head.find("?>");
  if (head.substr(0, 5) != "<?xml" || end == std::string_view::npos) return false;
  std::string decl(head.substr(0, end));
  for (char& c : decl) c = char(std::tolower(static_cast<unsigned char>(c)));
  return decl.find("encoding=\"gb") != std::string::npos || decl.find("encoding='gb") != std::string::npos;
}

}  // namespace

Result<Manscdp> ParseManscdp(std::string_view body) {
  // libxml2 prints some errors (bad bytes for the declared encoding) whatever the options;
  // a bad body is reported as an Error here, once, by the caller.
  static std::once_flag quiet;
  std::call_once(quiet, [] { xmlSetGenericErrorFunc(nullptr, &IgnoreXmlError); });
  if (body.empty()) return Error{"MANSCDP: empty body"};
  if (body.size() > (4 << 20)) return Error{"MANSCDP: body over 4 MiB"};
  const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS;
  // Devices that declare GB2312 often write GBK characters beyond it (names with rare
  // characters): read every Chinese encoding as GB18030, the superset of all three.
  const char* declared = DeclaresChineseEncoding(body) ? "GB18030" : nullptr;
  std::unique_ptr<xmlDoc, DocFree> doc(xmlReadMemory(body.data(), int(body.size()), "manscdp.xml", declared, options));
  // Some declare GB2312 and send UTF-8, or declare nothing (or UTF-8) and send GBK: try both.
  for (const char* encoding : {"UTF-8", "GB18030"}) {
    if (!doc) doc.reset(xmlReadMemory(body.data(), int(body.size()), "manscdp.xml", encoding, options));
  }
  if (!doc) return Error{"MANSCDP: not well-formed XML"};
  xmlNode* root = xmlDocGetRootElement(doc.get());
  if (!root) return Error{"MANSCDP: no root element"};
  Manscdp m;
  m.root = reinterpret_cast<const char*>(root->name);
  std::string sn;
  bool have_sn = false;
  for (xmlNode* n = root->children; n; n = n->next) {
    if (Is(n, "CmdType")) m.cmd_type = Text(n);
    else if (Is(n, "SN")) {
      sn = Text(n);
      have_sn = true;
    } else if (Is(n, "DeviceID")) m.device_id = Text(n);
    else if (Is(n, "Status")) m.status = Text(n);
    else if (Is(n, "DeviceName")) m.device_name = Text(n);
    else if (Is(n, "Manufacturer")) m.manufacturer = Text(n);
    else if (Is(n, "Model")) m.model = Text(n);
    else if (Is(n, "Firmware")) m.firmware = Text(n);
    else if (Is(n, "PTZCmd")) m.ptz_cmd = Text(n);
    else if (Is(n, "Online")) m.online = Text(n);
    else if (Is(n, "Encode")) m.encode = Text(n);
    else if (Is(n, "Record")) m.record = Text(n);
    else if (Is(n, "DeviceTime")) m.device_time = Text(n);
    else if (Is(n, "AlarmPriority")) m.alarm_priority = SmallNumber(Text(n));
    else if (Is(n, "AlarmMethod")) m.alarm_method = SmallNumber(Text(n));
    else if (Is(n, "AlarmTime")) m.alarm_time = Text(n);
    else if (Is(n, "AlarmDescription")) m.alarm_description = Text(n);
    else if (Is(n, "NotifyType")) m.notify_type = Text(n);
    else if (Is(n, "Info")) {
      for (xmlNode* i = n->children; i; i = i->next) {
        if (Is(i, "AlarmType")) m.alarm_type = SmallNumber(Text(i));
      }
    } else if (Is(n, "Channel")) {
      if (!Number(Text(n), &m.channels)) return Error{"MANSCDP: Channel is not a number"};
    } else if (Is(n, "SumNum")) {
      if (!Number(Text(n), &m.sum_num)) return Error{"MANSCDP: SumNum is not a number"};
    } else if (Is(n, "StartTime")) {
      m.start_time = Text(n);
    } else if (Is(n, "EndTime")) {
      m.end_time = Text(n);
    } else if (Is(n, "Type")) {
      m.record_type = Text(n);
    } else if (Is(n, "RecordList")) {
      for (xmlNode* item = n->children; item; item = item->next) {
        if (!Is(item, "Item")) continue;
        if (m.records.size() >= kMaxItems) return Error{"MANSCDP: more than 10000 records"};
        m.records.push_back(ParseRecord(item));
      }
    } else if (Is(n, "DeviceList")) {
      for (xmlNode* item = n->children; item; item = item->next) {
        if (!Is(item, "Item")) continue;
        if (m.items.size() >= kMaxItems) return Error{"MANSCDP: more than 10000 items"};
        m.items.push_back(ParseItem(item));
      }
    }
  }
  if (m.cmd_type.empty()) return Error{"MANSCDP: no CmdType"};
  if (!have_sn || !Number(sn, &m.sn)) return Error{"MANSCDP: no numeric SN"};
  if (m.device_id.empty()) return Error{"MANSCDP: no DeviceID"};
  return m;
}

std::string GbDate(int64_t wall_ms) {
  char ms[8];
  std::snprintf(ms, sizeof ms, ".%03d", int(wall_ms % 1000));
  return LocalTime(wall_ms, "%Y-%m-%dT%H:%M:%S") + ms;
}

std::string GbTime(int64_t wall_ms) { return LocalTime(wall_ms, "%Y-%m-%dT%H:%M:%S"); }

std::string BuildManscdp(const Manscdp& m) {
  std::string x = "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n<" + m.root + ">\r\n";
  auto field = [&](const char* name, const std::string& value) {
    x.append("<").append(name).append(">").append(Escaped(value)).append("</").append(name).append(">\r\n");
  };
  field("CmdType", m.cmd_type);
  field("SN", std::to_string(m.sn));
  field("DeviceID", m.device_id);
  if (!m.status.empty()) field(m.root == "Response" && m.cmd_type != "Keepalive" ? "Result" : "Status", m.status);
  if (!m.device_name.empty()) field("DeviceName", m.device_name);
  if (!m.manufacturer.empty()) field("Manufacturer", m.manufacturer);
  if (!m.model.empty()) field("Model", m.model);
  if (!m.firmware.empty()) field("Firmware", m.firmware);
  if (m.channels >= 0) field("Channel", std::to_string(m.channels));
  if (!m.ptz_cmd.empty()) field("PTZCmd", m.ptz_cmd);
  if (!m.online.empty()) field("Online", m.online);
  if (!m.work_status.empty()) field("Status", m.work_status);
  if (!m.encode.empty()) field("Encode", m.encode);
  if (!m.record.empty()) field("Record", m.record);
  if (!m.device_time.empty()) field("DeviceTime", m.device_time);
  if (m.alarm_priority > 0) field("AlarmPriority", std::to_string(m.alarm_priority));
  if (m.alarm_method > 0) field("AlarmMethod", std::to_string(m.alarm_method));
  if (!m.alarm_time.empty()) field("AlarmTime", m.alarm_time);
  if (!m.alarm_description.empty()) field("AlarmDescription", m.alarm_description);
  if (!m.notify_type.empty()) field("NotifyType", m.notify_type);
  if (m.alarm_type > 0) x += "<Info>\r\n<AlarmType>" + std::to_string(m.alarm_type) + "</AlarmType>\r\n</Info>\r\n";
  const bool records = m.cmd_type == "RecordInfo";
  if (records && m.root == "Query") {
    field("StartTime", m.start_time);
    field("EndTime", m.end_time);
    field("Secrecy", "0");
    field("Type", m.record_type.empty() ? "all" : m.record_type);
  }
  if (m.sum_num >= 0) field("SumNum", std::to_string(m.sum_num));
  if (records && m.root == "Response") {
    x += "<RecordList Num=\"" + std::to_string(m.records.size()) + "\">\r\n";
    for (const RecordItem& r : m.records) {
      x += "<Item>\r\n";
      field("DeviceID", r.device_id);
      field("Name", r.name);
      if (!r.file_path.empty()) field("FilePath", r.file_path);
      if (!r.address.empty()) field("Address", r.address);
      field("StartTime", r.start_time);
      field("EndTime", r.end_time);
      field("Secrecy", "0");
      field("Type", r.type.empty() ? "time" : r.type);
      if (!r.recorder_id.empty()) field("RecorderID", r.recorder_id);
      if (r.file_size >= 0) field("FileSize", std::to_string(r.file_size));
      x += "</Item>\r\n";
    }
    x += "</RecordList>\r\n";
  }
  if (!records && (m.sum_num >= 0 || !m.items.empty())) {
    x += "<DeviceList Num=\"" + std::to_string(m.items.size()) + "\">\r\n";
    for (const CatalogItem& c : m.items) {
      x += "<Item>\r\n";
      field("DeviceID", c.device_id);
      field("Name", c.name);
      field("Manufacturer", c.manufacturer);
      field("Model", c.model);
      field("CivilCode", c.civil_code);
      field("ParentID", c.parent_id);
      if (!c.business_group_id.empty()) field("BusinessGroupID", c.business_group_id);
      if (c.parental >= 0) field("Parental", std::to_string(c.parental));
      if (c.parental == 0) {  // a channel: how it is reached and protected (§A.2.4.5)
        field("SafetyWay", "0");
        field("RegisterWay", "1");
        field("Secrecy", "0");
      }
      field("Status", c.status);
      if (!c.event.empty()) field("Event", c.event);
      if (c.ptz_type > 0) x += "<Info>\r\n<PTZType>" + std::to_string(c.ptz_type) + "</PTZType>\r\n</Info>\r\n";
      x += "</Item>\r\n";
    }
    x += "</DeviceList>\r\n";
  }
  x += "</" + m.root + ">\r\n";
  // On the wire in GB18030 (a superset of GB2312: every GB2312 text is the same bytes).
  gsize written = 0;
  gchar* gb = g_convert(x.data(), gssize(x.size()), "GB18030", "UTF-8", nullptr, &written, nullptr);
  if (!gb) return x;
  std::string out(gb, written);
  g_free(gb);
  return out;
}

}  // namespace xl::gb28181
