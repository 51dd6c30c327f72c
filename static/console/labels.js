// The Chinese words the console pages show for the API's codes (one place for every page).
"use strict";

window.Labels = {
  BATCH_STATUS: { draft: "草稿", published: "已发布", closed: "已关闭" },
  VALUE_MODE: { face_value: "面值券", deduction: "抵用券", checkin_only: "签到专用券" },
  DISTRIBUTION: { general: "通用券", targeted: "定向券" },
  VOUCHER_STATUS: {
    claimed: "待使用", enrolled: "已报名", completed: "已结业", settled: "已结算", written_off: "已核销",
    expired: "已过期", voided: "已失效", revoked: "已作废",
  },
  CLAIM_STATUS: {
    pending: "待初审", first_approved: "初审通过，待复审", approved: "已通过", rejected: "已驳回", failed: "考核未通过",
  },
  PAYMENT_STATUS: { drafted: "草稿", paid: "已拨付", cancelled: "已撤销" },
  PAYEE_KIND: { institution: "培训机构", trainee: "学员社保卡账户", employer: "用人单位" },
  PROJECT_TYPES: ["就业技能培训", "岗位技能提升培训", "创业培训", "企业职工培训", "以工代训", "企业新型学徒制", "岗前培训"],
  GROUPS: ["企业职工", "农村转移就业劳动者", "毕业年度高校毕业生", "失业人员", "脱贫人口", "退役军人", "残疾人"],
  FUND_SOURCES: ["职业技能提升行动专账资金", "就业补助资金", "失业保险基金", "地方财政资金"],
};
