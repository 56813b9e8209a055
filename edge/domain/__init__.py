"""The spec domain: pure, I/O-free, importable under MicroPython.

    codes     code tables of Yunnan appendix 7.1-7.10 and the Ningxia data dictionary
              (TABLES, FIXES, plate_color_code, ningxia_plate_color, ...)
    records   the record kinds as data (field lists with required/type/length/table/format)
    ids       id builders (record_id, vehicle_id, machinery_id, camera_id, gate_id)
    validate  validate(kind, obj) -> [(field, rule)], check(kind, obj)
    sanitize  the Ningxia 6.2.5 high-risk SQL words: find_sql_words, sanitize, sanitize_record
    examples  example(kind): a valid record of each kind
"""
