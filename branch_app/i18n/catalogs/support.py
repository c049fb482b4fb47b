"""Text of `branch-app support-bundle` (branch_app.support)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "support.cli.help": (
        "write one archive for the help desk: versions, configuration without secrets, "
        "store check, log, device state (no personal data)",
        "为技术支持生成一个压缩包：版本、不含密钥的配置、存储检查结果、日志、设备状态（不含个人信息）",
    ),
    "support.cli.output": (
        "where to write the archive (default: branch-app-support-<time>.zip here)",
        "压缩包的保存位置（默认：当前目录下的 branch-app-support-<时间>.zip）",
    ),
    "support.cli.data_dir": (
        "the data folder (default: from the configuration)",
        "数据目录（默认取自配置）",
    ),
    "support.written": (
        "Support bundle written to {path}. Send this file to the help desk.",
        "技术支持包已保存到 {path}，请将此文件发送给技术支持。",
    ),
    "support.not_written": (
        "the support bundle could not be written to {path}: {reason}",
        "无法将技术支持包写入 {path}：{reason}",
    ),
    "support.problem.config_error": (
        "The configuration could not be read; the bundle says why (config.json).",
        "配置无法读取，原因见技术支持包中的 config.json。",
    ),
    "support.problem.store_check": (
        "The store check found a problem; the bundle holds its result (store-check.txt).",
        "存储检查发现问题，结果见技术支持包中的 store-check.txt。",
    ),
    "support.problem.device_state": (
        "The device state could not be read; the bundle says why (device-state.json).",
        "无法读取设备状态，原因见技术支持包中的 device-state.json。",
    ),
}
