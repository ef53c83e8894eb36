"""Chinese translations of the interface, merged into translations/zh_Hans_CN (run by hand).

Usage: .venv/bin/python tools/zh_catalogue.py  — updates the .po from messages.pot, filling
every msgid found below; untranslated ids are listed so that nothing ships half in English.
"""
from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
ZH = {
    "Please log in.": "请先登录。",
    "Wrong user name or password.": "用户名或密码错误。",
    "The code is not correct; check the time on your phone.": "验证码不正确，请检查手机时间是否准确。",
    "You have logged out.": "您已安全退出。",
    "The request could not be understood.": "请求无法识别。",
    "You are not allowed to do this.": "您无权进行此操作。",
    "Not found.": "未找到。",
    "This method is not allowed here.": "不允许此请求方式。",
    "This conflicts with the current state.": "与当前状态冲突。",
    "The upload or request body is too large.": "上传的文件或请求内容过大。",
    "Unsupported content type.": "不支持的内容类型。",
    "Some fields are not valid.": "部分字段填写有误。",
    "Too many requests; please wait and try again.": "请求过于频繁，请稍后再试。",
    "An unexpected error occurred. It has been logged.": "系统发生意外错误，已记录。",
    "The service is temporarily unavailable.": "服务暂时不可用。",
    "The form has expired or was not sent from this site; please reload the page and try again.":
        "表单已过期或来源不明，请刷新页面后重试。",
    "User name": "用户名",
    "Password": "密码",
    "Six-digit code": "六位验证码",
    "Enter the six digits shown.": "请输入显示的六位数字。",
    "The boundary is not valid JSON.": "边界不是有效的 JSON。",
    "Code": "编码",
    "Use the 6-digit division code (9 digits for a town), plus -SUFFIX for a departmental unit, e.g. 500112-JT01.":
        "请使用6位行政区划代码（乡镇街道为9位），部门单位另加“-后缀”，如 500112-JT01。",
    "Name": "名称",
    "Current password": "当前密码",
    "Repeat the new password": "再次输入新密码",
    "The two passwords differ.": "两次输入的密码不一致。",
    "The current password is not correct.": "当前密码不正确。",
    "The second factor is already set up.": "二次验证已设置。",
    "The second factor is set up; it will be asked at every log-in.": "二次验证已设置，今后每次登录都需输入验证码。",
    "My account": "我的账号",
    "Change password": "修改密码",
    "Set up: a code from your authenticator app is asked at every log-in.": "已设置：每次登录时需输入身份验证器应用中的验证码。",
    "Required for your role.": "您的角色必须设置。",
    "Optional for your role, and recommended.": "您的角色可选设置，建议启用。",
    "Add this key to your authenticator app, then enter the code it shows.": "请将此密钥添加到身份验证器应用，然后输入应用显示的验证码。",
    "Enter a name.": "请填写名称。",
    "Kind": "类型",
    "Department": "部门",
    "Parent unit": "上级单位",
    "Boundary (GeoJSON)": "辖区边界（GeoJSON）",
    "Active": "启用",
    "Use letters, digits, '.', '_' or '-'.": "只能使用字母、数字、“.”、“_”或“-”。",
    "Full name": "姓名",
    "Role": "角色",
    "Unit": "单位",
    "Phone": "电话",
    "Enter a mobile number (11 digits) or a landline.": "请输入11位手机号码或固定电话。",
    "Enforcement certificate no.": "执法证号",
    "Certificate valid until": "执法证有效期至",
    "Initial password": "初始密码",
    "New password": "新密码",
    "The boundary must be a GeoJSON Polygon or MultiPolygon.": "边界必须是 GeoJSON 多边形（Polygon 或 MultiPolygon）。",
    "The boundary is not valid GeoJSON.": "边界不是有效的 GeoJSON。",
    "The boundary polygon is empty or crosses itself.": "边界多边形为空或自相交。",
    "Boundary coordinates must be longitude, latitude in WGS-84.": "边界坐标必须为 WGS-84 经度、纬度。",
    "Idempotency-Key is longer than %(n)d characters.": "Idempotency-Key 长度超过 %(n)d 个字符。",
    "This Idempotency-Key was used for another request.": "该 Idempotency-Key 已用于其他请求。",
    "City": "市",
    "District": "区",
    "County": "县",
    "Town": "乡镇",
    "Street": "街道",
    "Departmental unit": "部门单位",
    "Transport": "交通运输",
    "Public security": "公安",
    "City management": "城市管理",
    "Market regulation": "市场监管",
    "Government": "政府",
    "The cursor is not valid; start again without it.": "游标无效，请不带游标重新开始。",
    "limit must be between 1 and %(max)d.": "limit 必须在 1 到 %(max)d 之间。",
    "Enforcement officer": "执法人员",
    "Unit leader / reviewer": "单位负责人/法制审核员",
    "Tip reviewer": "举报受理员",
    "Finance officer": "财务人员",
    "District supervision office": "区县督导组办公室",
    "City supervision office": "市督导组办公室",
    "Auditor": "监察人员",
    "Administrator": "系统管理员",
    "Yes": "是",
    "No": "否",
    "units": "单位",
    "Units": "单位",
    "Unit %(name)s created.": "已创建单位 %(name)s。",
    "Unit saved.": "单位已保存。",
    "users": "用户",
    "Users": "用户",
    "User %(name)s created.": "已创建用户 %(name)s。",
    "User saved.": "用户已保存。",
    "Account enabled.": "账号已启用。",
    "Account disabled; its sessions and tokens have ended.": "账号已停用，其会话和接口令牌已全部失效。",
    "Password changed.": "密码已修改。",
    "Enter the new password.": "请输入新密码。",
    "Password must be at least %(n)d characters long.": "密码长度至少为 %(n)d 位。",
    "This password is too common or contains the user name.": "密码过于常见或包含用户名。",
    "Choose a parent unit within your area.": "请选择您辖区内的上级单位。",
    "Only a city has no parent unit.": "只有市级单位可以没有上级单位。",
    "This kind of unit cannot be placed under that parent.": "此类型单位不能设在该上级单位之下。",
    "Departmental units need a department; area units have none.": "部门单位须选择所属部门，区域单位不选部门。",
    "Unit code %(code)s is already used.": "单位编码 %(code)s 已被使用。",
    "You cannot deactivate your own unit.": "不能停用本人所在单位。",
    "You may not assign this role.": "您无权分配此角色。",
    "Choose a unit within your area.": "请选择您辖区内的单位。",
    "User name %(name)s is already taken.": "用户名 %(name)s 已被使用。",
    "Give both the certificate number and its expiry date.": "请同时填写执法证号及其有效期。",
    "You cannot change your own role.": "不能修改本人的角色。",
    "You cannot disable your own account.": "不能停用本人的账号。",
    "The account is disabled.": "该账号已停用。",
    "Pages": "分页",
    "Previous": "上一页",
    "Page %(page)d of %(pages)d": "第 %(page)d 页，共 %(pages)d 页",
    "Next": "下一页",
    "%(n)s in total": "共 %(n)s 条",
    "Illegal Transport Enforcement": "非法营运治理系统",
    "Menu": "菜单",
    "Cases": "案件",
    "Blacklist": "黑名单",
    "Reports": "报表",
    "Audit log": "审计日志",
    "Log out": "退出",
    "Blacklist entries, publication and plate checks arrive in the next releases.":
        "黑名单记录、曝光和车牌核查功能将在后续版本提供。",
    "Verify the chain": "校验哈希链",
    "The chain is intact (%(n)s rows).": "哈希链完整（共 %(n)s 条）。",
    "The chain is broken at row %(seq)s.": "哈希链在第 %(seq)s 条处断裂。",
    "Time": "时间",
    "User": "用户",
    "Action": "操作",
    "Object": "对象",
    "Details": "详情",
    "Nothing recorded yet.": "暂无记录。",
    "Home": "首页",
    "Welcome, %(name)s": "欢迎，%(name)s",
    "Log in": "登录",
    "Second factor": "二次验证",
    "Your role requires an authenticator app. Add this key to the app (Google Authenticator, Microsoft Authenticator, FreeOTP…), then enter the code it shows.":
        "您的角色须使用动态口令。请将下列密钥添加到身份验证器应用（如 Google Authenticator、Microsoft Authenticator、FreeOTP 等），然后输入应用显示的验证码。",
    "Enter the six-digit code from your authenticator app.": "请输入身份验证器应用中的六位验证码。",
    "Continue": "继续",
    "Edit": "编辑",
    "New sub-unit": "新建下级单位",
    "Status": "状态",
    "Inactive": "已停用",
    "Boundary": "辖区边界",
    "Sub-units": "下级单位",
    "None": "无",
    "Edit unit": "编辑单位",
    "New unit": "新建单位",
    "Save": "保存",
    "Cancel": "取消",
    "Export XLSX": "导出 Excel",
    "Name or code": "名称或编码",
    "All kinds": "全部类型",
    "Filter": "筛选",
    "No units match.": "没有符合条件的单位。",
    "Set up": "已设置",
    "Not set up": "未设置",
    "Last log-in": "最近登录",
    "Disabled": "已停用",
    "Disable account": "停用账号",
    "Enable account": "启用账号",
    "Set password": "设置密码",
    "Edit user": "编辑用户",
    "New user": "新建用户",
    "User name or full name": "用户名或姓名",
    "All roles": "全部角色",
    "No users match.": "没有符合条件的用户。",
    "Case handling, joint actions and tips arrive in the next releases.":
        "案件办理、联合执法和举报线索功能将在后续版本提供。",
    "Back to the home page": "返回首页",
    "Assessments and the monthly joint-action report arrive in the next releases.":
        "目标考核和月度联合执法报告将在后续版本提供。",
}


def main() -> int:
    pot = read_po((ROOT / "translations/messages.pot").open("rb"))
    target = ROOT / "translations/zh_Hans_CN/LC_MESSAGES/messages.po"
    target.parent.mkdir(parents=True, exist_ok=True)
    catalog = Catalog(locale="zh_Hans_CN", project="ecs", fuzzy=False)
    missing = []
    for message in pot:
        if not message.id:
            continue
        text = ZH.get(message.id)
        if text is None:
            missing.append(message.id)
        catalog.add(message.id, text or "", locations=message.locations, flags=message.flags)
    with target.open("wb") as fh:
        write_po(fh, catalog, width=100)
    for msgid in missing:
        print("untranslated:", msgid)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
