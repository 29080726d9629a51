import io
import json
import logging

from chalicelib.observability import (
    JsonFormatter,
    Metrics,
    correlation,
    mask,
    mask_address,
    mask_name,
    mask_phone,
)


def test_phone_name_and_address_masks():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("+86 138-1234-1234") == "138****1234"
    assert mask_phone("0571-88886666") == "********6666"
    assert mask_name("张三丰") == "张**"
    assert mask_address("浙江省杭州市西湖区文三路90号") == "浙江省杭州市***"


def test_mask_walks_nested_data_by_field_name_and_finds_mobiles_in_text():
    masked = mask({"receiver": {"name": "李四", "phone": "13912345678", "address": "广东省深圳市南山区科技园1号"},
                   "note": "call 13700001111 first", "refund_amount": 4999})
    assert masked == {"receiver": {"name": "李*", "phone": "139****5678", "address": "广东省深圳市***"},
                      "note": "call 137****1111 first", "refund_amount": 4999}


def _log_line(**extra) -> dict:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("test.observability")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("carrier said 13812341234 is busy", extra=extra)
    finally:
        logger.removeHandler(handler)
    return json.loads(stream.getvalue())


def test_log_lines_are_json_with_correlation_ids_inside_the_block_only_and_masked():
    with correlation(request_id="req-1", intercept_id="icp_1", carrier="zto", platform_id=None):
        line = _log_line(phone="13812341234")
    assert line["request_id"] == "req-1" and line["intercept_id"] == "icp_1" and line["carrier"] == "zto"
    assert "platform_id" not in line
    assert line["message"] == "carrier said 138****1234 is busy"
    assert line["phone"] == "138****1234"
    assert line["level"] == "WARNING"
    assert "request_id" not in _log_line()


def test_emf_document_declares_the_metric_its_unit_and_dimension():
    stream = io.StringIO()
    Metrics(stream=stream, clock_ms=lambda: 1_700_000_000_000).carrier_latency("zto", 123.456)
    document = json.loads(stream.getvalue())
    assert document["_aws"] == {"Timestamp": 1_700_000_000_000, "CloudWatchMetrics": [{
        "Namespace": "ParcelInterceptGateway", "Dimensions": [["carrier"]],
        "Metrics": [{"Name": "CarrierLatency", "Unit": "Milliseconds"}]}]}
    assert document["carrier"] == "zto" and document["CarrierLatency"] == 123.5
