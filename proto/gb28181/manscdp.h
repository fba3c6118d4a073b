// MANSCDP (GB/T 28181 §A): the XML bodies of SIP MESSAGEs: keepalives, catalog and device
// info queries and their responses. Parsed with libxml2, which honours the encoding the
// body declares (devices commonly send GB2312); every string here is UTF-8. Built bodies
// declare and use GB2312 (GB18030 on the wire, its superset), as devices expect.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace xl::gb28181 {

// One entry of a catalog: a channel (camera) or a grouping node.
struct CatalogItem {
  std::string device_id;  // 20 digits
  std::string name;
  std::string manufacturer, model;
  std::string civil_code;  // region code (行政区划)
  std::string parent_id;
  std::string status;             // "ON" / "OFF" (as the device says)
  std::string business_group_id;  // virtual organisations (type 216): the business group (215) they belong to
  std::string event;              // Notify/Catalog: "ADD", "DEL", "UPDATE", "ON", "OFF"
  int parental = -1;              // 1: has items under it (groups), 0: a leaf; -1: not said
  int ptz_type = 0;               // Info/PTZType: 1 dome, 2 half-dome, 3 fixed (bullet); 0: not said
};

// One entry of a RecordInfo response (§A.2.4.7, §A.2.6.7): a recording a device keeps.
struct RecordItem {
  std::string device_id;  // the channel
  std::string name, file_path, address, type, recorder_id;
  std::string start_time, end_time;    // as the device wrote them (local time, §9.1)
  int64_t start_ms = -1, end_ms = -1;  // read from them; -1: absent or unreadable
  int64_t file_size = -1;              // bytes, when said
};

struct Manscdp {
  std::string root;      // "Notify", "Query", "Response" or "Control"
  std::string cmd_type;  // "Keepalive", "Catalog", "DeviceInfo", "DeviceControl", ...
  long sn = 0;
  std::string device_id;
  std::string status;              // Keepalive: "OK"
  long sum_num = -1;               // Catalog response: channels in the whole catalog
  std::vector<CatalogItem> items;  // Catalog response: this message's part
  // RecordInfo query: the range (GbDate form) and Type ("all", "time", "alarm", "manual");
  // response: `sum_num` recordings in all, `records` this message's part.
  std::string start_time, end_time, record_type;
  std::vector<RecordItem> records;
  // DeviceInfo response
  std::string device_name, manufacturer, model, firmware;
  long channels = -1;
  std::string ptz_cmd;  // DeviceControl: the 16-hex-digit PTZCmd
  // DeviceStatus response (`status` is its Result): Online "ONLINE"/"OFFLINE", Status "OK",
  // Encode and Record "ON"/"OFF", DeviceTime.
  std::string online, work_status, encode, record, device_time;
  // Notify/Alarm (§A.2.5): priority 1 (highest) to 4, method (5 video, 6 device fault, ...),
  // time "YYYY-MM-DDTHH:MM:SS", description, Info/AlarmType (per method; motion 2, video loss 1).
  int alarm_priority = 0, alarm_method = 0, alarm_type = 0;
  std::string alarm_time, alarm_description;
  // Notify/MediaStatus (§A.2.5.5): "121" when a Playback or Download call has sent the whole
  // recording (DeviceID: the channel).
  std::string notify_type;
};

// Parses a MANSCDP body. Errors: not XML, an encoding libxml2 cannot convert, no CmdType,
// SN or DeviceID, a non-numeric SN/SumNum/Num, more than 10,000 items or records. A
// record's times are read liberally (ParseWallTime: 'T' or a space, fractions, a zone);
// unreadable ones stay -1 and the record is kept.
Result<Manscdp> ParseManscdp(std::string_view body);

// GB/T 28181's time of day (the Date header, DeviceTime, AlarmTime): local time
// "YYYY-MM-DDTHH:MM:SS.mmm" (§9.1).
std::string GbDate(int64_t wall_ms);
// The same to the second ("YYYY-MM-DDTHH:MM:SS"), as RecordInfo's StartTime and EndTime.
std::string GbTime(int64_t wall_ms);

// Builds a body: root element `message.root` with CmdType, SN, DeviceID and whatever of
// the other fields applies to that command, in GB2312.
std::string BuildManscdp(const Manscdp& message);

}  // namespace xl::gb28181
