// The words the trainee's pages show for the API's codes.
"use strict";

window.H5Labels = {
  STATUS: {
    claimed: "可使用", enrolled: "已报名", completed: "已结业", settled: "已结算", expired: "已过期", voided: "已失效",
    revoked: "已作废", returned: "已退券",
  },
  PROJECT_TYPES: ["就业技能培训", "岗位技能提升培训", "创业培训", "企业职工培训", "以工代训", "企业新型学徒制", "岗前培训"],
};
