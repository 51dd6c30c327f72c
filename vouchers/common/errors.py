"""One hierarchy of domain errors, each with a stable machine code and a Chinese message.

The HTTP edge maps them to `{"error": {"code", "message"}}` with the class's status.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    code: ClassVar[str] = "bad_request"
    message: ClassVar[str] = "请求无效"
    status: ClassVar[int] = 400

    def __init__(self, message: str | None = None, **detail: Any) -> None:
        self.text = message or self.message
        self.detail = detail
        super().__init__(f"{self.code}: {self.text}")


def define_error(code: str, message: str, status: int, base: type[DomainError] = DomainError) -> type:
    return type(code.title().replace("_", ""), (base,), {"code": code, "message": message, "status": status})


class InvalidInput(DomainError):
    code = "invalid_input"
    message = "输入内容不符合要求"
    status = 422


class NotFound(DomainError):
    code = "not_found"
    message = "找不到该资源"
    status = 404


class Conflict(DomainError):
    status = 409


class ClaimRefused(Conflict):
    """A claim (or a card-center entry) that cannot go ahead; the code says why."""


class Unauthenticated(DomainError):
    code = "unauthenticated"
    message = "请先登录"
    status = 401


class Forbidden(DomainError):
    code = "forbidden"
    message = "无权进行此操作"
    status = 403


class ServiceBusy(DomainError):
    code = "service_busy"
    message = "系统繁忙，请稍后再试"
    status = 503


InvalidIdNumber = define_error("invalid_id_number", "身份证号码无效（校验位不正确）", 422, InvalidInput)
PayloadTooLarge = define_error("payload_too_large", "请求内容过大", 413)
# An upload that is no roster at all (a workbook, an image, another table): refused whole, with
# what a roster looks like, instead of one "bad row" per line of it.
NotARoster = define_error("not_a_roster", "文件不是人员名单", 422, InvalidInput)
UnreadableBody = define_error("unreadable_body", "请求内容无法读取（压缩数据或分块编码无效）", 400)
BadCredentials = define_error("bad_credentials", "用户名或密码错误", 401, Unauthenticated)
TooManyAttempts = define_error(
    "too_many_attempts", "登录失败次数过多，请稍后再试；如需立即解锁，请联系管理员", 429, Unauthenticated
)
TokenExpired = define_error("token_expired", "登录已过期，请重新登录", 401, Unauthenticated)
OutOfScope = define_error("out_of_region", "该地区不在您的管辖范围内", 403, Forbidden)
IdentityRequired = define_error("identity_required", "请先完成实名认证（人脸核身）", 403, Forbidden)
IdentityMismatch = define_error("identity_conflict", "该账号已绑定其他身份", 409, Conflict)
VerificationNotFound = define_error("verification_not_found", "未找到该核验记录", 404, NotFound)
VerificationFinished = define_error("verification_finished", "该核验已结束，请重新发起", 409, Conflict)
VerificationFailed = define_error("verification_failed", "人脸核验未通过", 403, Forbidden)
BatchNotEditable = define_error("batch_not_editable", "只有草稿状态的批次可以修改", 409, Conflict)
BatchStateConflict = define_error("batch_state_conflict", "批次当前状态不允许此操作", 409, Conflict)
VoucherStateConflict = define_error("voucher_state_conflict", "培训券当前状态不允许此操作", 409, Conflict)
RollupNotKept = define_error(
    "rollup_not_kept", "统计汇总表只在 PostgreSQL 上维护；SQLite 上的统计直接清点数据，无需核对", 409, Conflict
)
Revoked = define_error("revoked", "培训券已作废", 409, Conflict)
Expired = define_error("expired", "培训券已过期", 409, Conflict)

SoldOut = define_error("sold_out", "培训券已领完", 409, ClaimRefused)
AlreadyClaimed = define_error("already_claimed", "您已领取过该培训券", 409, ClaimRefused)
NotEligible = define_error("not_eligible", "您不在该培训券的发放对象范围内", 403, ClaimRefused)
ClaimClosed = define_error("claim_closed", "不在领券时间内", 409, ClaimRefused)
YearlyLimit = define_error("yearly_limit", "您本年度用券次数已达上限", 409, ClaimRefused)
TypeLimit = define_error("type_limit", "同一类型培训券每人每年限领一次", 409, ClaimRefused)
OccupationLimit = define_error("occupation_limit", "同一工种每人每年只能用券一次", 409, ClaimRefused)
WrongRegion = define_error("wrong_region", "该培训券不能在此地区使用", 409, ClaimRefused)
TargetedOnly = define_error("targeted_only", "定向券由培训机构报送名单后自动发放，无需领取", 409, ClaimRefused)
GroupRequired = define_error("group_required", "请选择您所属的人员类别", 422, ClaimRefused)
# Issue 17 item 4: where the bureau's list proves the group, nobody declares one; a declared group
# holds for the year, and another one needs the bureau's list.
GroupNotDeclarable = define_error(
    "group_not_declarable", "该批次的人员类别以人社部门资格名单为准，领取时请不要自行选择人员类别", 422, ClaimRefused
)
GroupConflict = define_error(
    "group_conflict",
    "您本年度已申报过其他人员类别。如需以新的人员类别领券，请先到当地人社部门申请认定，列入资格名单后再领取",
    409,
    ClaimRefused,
)
DuplicateRow = define_error("duplicate_row", "文件中重复的身份证号", 422, InvalidInput)
NameRequired = define_error("name_required", "缺少姓名", 422, InvalidInput)
InvalidName = define_error("invalid_name", "姓名只能包含汉字、字母、间隔号“·”和空格", 422, InvalidInput)
InvalidPhone = define_error("invalid_phone", "手机号应为11位数字", 422, InvalidInput)
FieldTooLong = define_error("field_too_long", "字段内容过长", 422, InvalidInput)
InvalidJson = define_error("invalid_json", "请求体不是有效的 JSON", 400, InvalidInput)

# Institutions: registry, staff, classes (issue 5).
InstitutionCodeTaken = define_error("institution_code_taken", "该机构代码已登记", 409, Conflict)
UsernameTaken = define_error("username_taken", "该用户名已被使用", 409, Conflict)
CommissionerOnly = define_error("commissioner_only", "只有机构专员可以进行此操作", 403, Forbidden)
StaffNotFound = define_error("staff_not_found", "找不到该工作人员", 404, NotFound)
ClassNotFound = define_error("class_not_found", "找不到该培训班", 404, NotFound)
SiteNotFound = define_error("site_not_found", "找不到该教学点", 404, NotFound)
LessonNotFound = define_error("lesson_not_found", "找不到该课次", 404, NotFound)
WebhookAddressRefused = define_error(
    "webhook_address_refused", "回调地址不能是本机、内网或云平台元数据地址，请填写可从公网访问的地址", 422, InvalidInput
)
NonceReused = define_error("nonce_reused", "该请求编号（nonce）已用于另一次扫码请求，请换一个新的编号", 409, Conflict)


class ScanRefused(Conflict):
    """A scan or check-in that cannot go ahead; the code is one of the scan call's closed list."""

    # The voucher a refused code names, where known without reading it (a stale code's signature
    # held): for the institution's notice, never for the answer.
    voucher_code: str | None = None


QrInvalid = define_error("qr_invalid", "二维码无效（不是本系统的券码或已被篡改）", 409, ScanRefused)
QrStale = define_error("qr_stale", "二维码已过期（可能是截图），请让学员刷新后重新出示", 409, ScanRefused)
# The card-pack pass's static code at a check-in: attendance needs the rotating code.
QrStatic = define_error("qr_static", "卡包券码不能用于签到，请在小程序中出示动态二维码", 409, ScanRefused)
VoucherNotFound = define_error("voucher_not_found", "培训券不存在", 409, ScanRefused)
VoucherRevoked = define_error("revoked", "培训券已作废", 409, ScanRefused)
VoucherExpired = define_error("expired", "培训券已过期", 409, ScanRefused)
VoucherSettled = define_error("settled", "培训券已结算核销", 409, ScanRefused)
VoucherVoided = define_error("voided", "培训券已失效（培训未按期完成）", 409, ScanRefused)
VoucherCompleted = define_error("completed", "该培训券的培训已结业", 409, ScanRefused)
ScanWrongRegion = define_error("wrong_region", "该培训券不能在本机构所在地区使用", 409, ScanRefused)
WrongProject = define_error("wrong_project", "该培训券不适用于此培训项目", 409, ScanRefused)
WrongOccupation = define_error("wrong_occupation", "该培训券不适用于此工种", 409, ScanRefused)
ClassFull = define_error("class_full", "培训班名额已满", 409, ScanRefused)
ClassEnded = define_error("class_ended", "培训班已结束", 409, ScanRefused)
ClassRequired = define_error("class_required", "请先选择培训班", 409, ScanRefused)
ScanClassNotFound = define_error("class_not_found", "找不到该培训班（或不属于本机构）", 409, ScanRefused)
AlreadyEnrolled = define_error("already_enrolled", "该培训券已用于报名", 409, ScanRefused)
# The holder is in this class already with another voucher: one enrolment per person and class.
AlreadyInClass = define_error(
    "already_in_class", "该学员已用另一张培训券报名此培训班，同一人每个班只能报名一次", 409, ScanRefused
)
NotEnrolled = define_error("not_enrolled", "该学员未以此培训券报名该培训班", 409, ScanRefused)
NoLessonNow = define_error("no_lesson_now", "当前不在该培训班的签到时间内", 409, ScanRefused)
OutsideFence = define_error("outside_fence", "您不在教学点签到范围内", 409, ScanRefused)
ScanYearlyLimit = define_error("yearly_limit", "该学员本年度用券次数已达上限", 409, ScanRefused)
ScanOccupationLimit = define_error("occupation_limit", "该学员本年度已用券参加过同一工种培训", 409, ScanRefused)
AnnulNotAllowed = define_error("annul_not_allowed", "只能撤销本人15分钟内的扫码记录", 409, Conflict)
AlreadyAnnulled = define_error("already_annulled", "该扫码记录已撤销", 409, Conflict)
ScanNotFound = define_error("scan_not_found", "找不到该扫码记录", 404, NotFound)
WechatCodeInvalid = define_error("wechat_code_invalid", "微信登录凭证无效或已使用，请重新登录", 401, Unauthenticated)
WechatUserBlocked = define_error("wechat_user_blocked", "该微信账号暂时无法登录", 403, Forbidden)
WechatUnavailable = define_error("wechat_unavailable", "微信服务暂时不可用，请稍后再试", 503, ServiceBusy)
WechatOnly = define_error("wechat_only", "请在微信小程序中进行此操作", 403, Forbidden)
VerificationPending = define_error("verification_pending", "人脸核验尚未完成，请完成后再确认", 409, Conflict)
AlipayAuthCodeInvalid = define_error(
    "alipay_auth_code_invalid", "支付宝授权码无效或已过期，请重新授权", 400, InvalidInput
)
AlipayUnavailable = define_error("alipay_unavailable", "支付宝服务暂时不可用，请稍后再试", 503, ServiceBusy)
AlipayAccountRequired = define_error("alipay_account_required", "请在支付宝小程序中登录后操作", 403, Forbidden)
AlipayIdentityRefused = define_error("alipay_identity_refused", "支付宝无法核验该身份信息", 422, InvalidInput)

# Settlement and archive (issue 7). Completion rows are refused one by one with these codes.
NotInClass = define_error("not_in_class", "该学员未以培训券报名此培训班", 409, Conflict)
NoAttendance = define_error("no_attendance", "该学员在此培训班没有签到记录", 409, Conflict)
# Issue 17: one claim per person and class; lessons and completion within the class's dates.
PersonAlreadySubmitted = define_error(
    "person_already_submitted", "该学员已用另一张培训券在此培训班提交结业，同一人每个班只能申请一次补贴", 409, Conflict
)
ClassNotEnded = define_error("class_not_ended", "培训班尚未结束，结业后才能提交结业和考核结果", 409, Conflict)
AttendanceTooLow = define_error("attendance_too_low", "出勤率低于本地区要求，不能申报结业", 409, Conflict)
LessonOutsideClass = define_error(
    "lesson_outside_class", "课次日期须在培训班的开班日期和结束日期之间", 422, InvalidInput
)
AlreadySettled = define_error("already_settled", "该培训券已结算核销", 409, Conflict)
AlreadySubmitted = define_error("already_submitted", "该培训券的结业结果已提交，正在审核", 409, Conflict)
NoSubsidyStandard = define_error("no_subsidy_standard", "未找到适用的补贴标准，请联系人社部门", 409, Conflict)
CertificateRequired = define_error("certificate_required", "考核合格的学员须填写证书类别和编号", 422, InvalidInput)
ClaimNotFound = define_error("claim_not_found", "找不到该结算申请", 404, NotFound)
ClaimDecided = define_error("claim_decided", "该结算申请已审核", 409, Conflict)
ReasonRequired = define_error("reason_required", "驳回时须填写原因", 422, InvalidInput)

# --- the institution portal (issue 19) -------------------------------------------------------
StaffDisabled = define_error("staff_disabled", "该账号已被机构专员停用，请联系本机构的机构专员", 403, Forbidden)
WrongPassword = define_error("wrong_password", "当前密码不正确", 422, InvalidInput)
CapacityBelowEnrolled = define_error("capacity_below_enrolled", "人数上限不能小于已报名人数", 409, Conflict)
ManualCheckinTooEarly = define_error("manual_checkin_too_early", "课次尚未开始，不能补签", 409, Conflict)
ManualCheckinTooLate = define_error("manual_checkin_too_late", "已超过补签期限", 409, Conflict)
AlreadyCheckedIn = define_error("already_checked_in", "该学员本节课已签到", 409, Conflict)
OfflineEnrolRefused = define_error(
    "offline_enrol", "离线时不能用券报名（需联网核对名额和次数），请在网络恢复后重新扫码", 409, ScanRefused
)
OfflineTooLate = define_error("offline_too_late", "离线扫码须在72小时内上传，本条已超时", 409, ScanRefused)
OfflineClockAhead = define_error("offline_clock_ahead", "扫码设备的时间比服务器快，请校准设备时钟", 409, ScanRefused)

# --- the bureau console (issue 20) ----------------------------------------------------------
RoleNotAllowed = define_error("role_not_allowed", "您的角色无权进行此操作", 403, Forbidden)
OwnAccount = define_error("own_account", "不能停用自己的账号或修改自己的角色，请由其他管理员操作", 409, Conflict)
AccountNotFound = define_error("account_not_found", "在您管辖的地区没有该账号", 404, NotFound)
InstitutionSuspended = define_error(
    "institution_suspended", "该培训机构已被人社部门暂停，暂不能登录和扫码，请联系当地人社部门", 403, Forbidden
)

# --- tamper-evident history (issue 20) ----------------------------------------------------------
HistoryRangeInvalid = define_error("history_range_invalid", "日期范围无效", 422, InvalidInput)

# --- two-level settlement review and payment lists (issue 20) ----------------------------------
SameReviewer = define_error("same_reviewer", "复审人不能与初审人为同一人", 409, Conflict)
PaymentListNotFound = define_error("payment_list_not_found", "找不到该拨付清单", 404, NotFound)
PaymentListPaid = define_error("payment_list_paid", "该拨付清单已拨付，不能重复拨付或作废", 409, Conflict)
PaymentListCancelled = define_error("payment_list_cancelled", "该拨付清单已作废，不能拨付", 409, Conflict)
PaymentListBusy = define_error("payment_list_busy", "其他人正在生成拨付清单，请稍后再试", 409, Conflict)

# --- training evaluation (issue 21) -----------------------------------------------------------
EvaluationNotYet = define_error("evaluation_not_yet", "培训结业（或培训班最后一次课结束）后才能评价", 409, Conflict)
AlreadyEvaluated = define_error("already_evaluated", "该培训券已评价过，7天内可修改评价", 409, Conflict)
EvaluationLocked = define_error("evaluation_locked", "评价提交已超过7天，不能再修改", 409, Conflict)
EvaluationNotFound = define_error("evaluation_not_found", "找不到该评价", 404, NotFound)
# --- the training catalogue and sign-up (issue 21) ----------------------------------------------
# Why a voucher cannot pay for a class (vouchers/catalogue/fit.py), in the trainee's words.
SignupVoucherUnusable = define_error(
    "voucher_unusable", "该培训券当前不能用于报名（已使用、已过期、已退回或已作废）", 409, Conflict
)
SignupWrongRegion = define_error("wrong_region", "该培训券不能在此培训班所在地区使用", 409, Conflict)
SignupWrongProject = define_error("wrong_project", "该培训券不适用于此培训项目", 409, Conflict)
SignupWrongOccupation = define_error("wrong_occupation", "该培训券不适用于此工种", 409, Conflict)
SignupClosed = define_error("signup_closed", "该培训班已开班或已停止招生，不能报名", 409, Conflict)
SignupClassFull = define_error("class_full", "培训班名额已满，不能报名", 409, Conflict)
VoucherSignedUp = define_error(
    "voucher_signed_up", "该培训券已用于报名另一个培训班，请先取消那次报名，或换一张培训券", 409, Conflict
)
AlreadySignedUp = define_error("already_signed_up", "您已报名此培训班，不能重复报名", 409, Conflict)
SignupNotFound = define_error("signup_not_found", "找不到该报名", 404, NotFound)
SignupNotPending = define_error("signup_not_pending", "该报名已不是待确认状态，不能再取消或婉拒", 409, Conflict)
# --- online training platforms (issue 21, item 8) -----------------------------------------------
# A platform's signed request (vouchers/platforms/auth.py): every refusal is a 401 with its reason.
PlatformAuthMissing = define_error(
    "platform_auth_missing", "缺少平台签名请求头或其格式不正确，请按接入文档签名", 401, Unauthenticated
)
PlatformKeyUnknown = define_error("platform_key_unknown", "未登记的线上培训平台或密钥", 401, Unauthenticated)
PlatformKeyRetired = define_error("platform_key_retired", "该密钥已停用，请改用新密钥", 401, Unauthenticated)
PlatformTimestampStale = define_error(
    "platform_timestamp_stale", "请求时间与服务器时间相差超过300秒，请校准时钟后重新签名", 401, Unauthenticated
)
PlatformNonceReused = define_error(
    "platform_nonce_reused", "该随机数（nonce）已使用过，请求可能被重放，请换一个随机数重新签名", 401, Unauthenticated
)
PlatformSignatureInvalid = define_error("platform_signature_invalid", "请求签名不正确", 401, Unauthenticated)
PlatformSuspended = define_error(
    "platform_suspended", "该线上培训平台已被人社部门暂停，暂不能使用培训券，请联系当地人社部门", 403, Forbidden
)
PlatformNotFound = define_error("platform_not_found", "在您管辖的地区没有该线上培训平台", 404, NotFound)
PlatformKeyNotFound = define_error("platform_key_not_found", "该平台没有这把密钥", 404, NotFound)
PlatformKeysFull = define_error(
    "platform_keys_full", "每个平台最多同时有两把有效密钥，请先停用一把旧密钥", 409, Conflict
)
PlatformKeyAlreadyRetired = define_error("platform_key_already_retired", "该密钥已停用", 409, Conflict)
PlatformKindReserved = define_error("platform_kind_reserved", "线上培训平台的类型不能修改", 409, Conflict)
# The voucher or course is outside what the bureau allows the platform (project types, occupations).
PlatformOutOfScope = define_error(
    "platform_out_of_scope", "该培训项目或工种不在人社部门核准本平台的范围内", 409, ScanRefused
)
PlatformCodeStatic = define_error(
    "platform_code_static", "请让学员出示小程序中的动态券码，卡包券码不能在线上平台使用", 409, ScanRefused
)
CourseNotFound = define_error("course_not_found", "本平台没有该课程，请先登记课程", 404, NotFound)
CourseLocked = define_error("course_locked", "课程已有学员报名，不能修改培训项目和工种", 409, Conflict)
ReportIdReused = define_error(
    "report_id_reused", "该报告编号已用于一份内容不同的学习进度报告，请换一个编号", 409, Conflict
)
StudyClosed = define_error("study_closed", "该培训券已提交结业或不在学习中，不能再报告学习进度", 409, Conflict)
NoStudyRecorded = define_error("no_study_recorded", "该学员在此课程没有学习记录", 409, Conflict)
StudyTooShort = define_error("study_too_short", "学习时长未达到课程要求，不能申报结业", 409, Conflict)
# --- notices center and giving a voucher back (issue 21, i21-notices) --------------------------
ReturnedNotReclaimable = define_error(
    "returned_not_reclaimable", "您已退还过该批次的培训券，该批次不能再次领取", 409, ClaimRefused
)
TargetedNotReturnable = define_error(
    "targeted_not_returnable", "定向券是按培训机构报送的名单发放的，不能退券；如不参加培训请联系培训机构", 409, Conflict
)
NotReturnable = define_error("not_returnable", "只有未报名的培训券可以退券", 409, Conflict)
VoucherReturned = define_error("returned", "培训券已由持券人退还，不能使用", 409, ScanRefused)
