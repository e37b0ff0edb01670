package config

import (
	"fmt"
	"regexp"
)

// Disposition is a code an agent gives a call at wrap-up: a category of
// inquiry or complaint of the service standards (§5), named in zh and en
// for the console.
type Disposition struct {
	Code string `yaml:"code"`
	Kind string `yaml:"kind"` // inquiry or complaint
	Zh   string `yaml:"zh"`
	En   string `yaml:"en"`
}

// dispositionKinds are the kinds of disposition.
var dispositionKinds = []string{"inquiry", "complaint"}

// dispositionCode is what a code may be: it is stored in calls.disposition.
var dispositionCode = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// DefaultDispositions are the inquiry and complaint categories of the
// service standards.
func DefaultDispositions() []Disposition {
	return []Disposition{
		{"usage", "inquiry", "产品使用方法", "How to use the product"},
		{"network-setup", "inquiry", "网络连接设置", "Network and connection setup"},
		{"malfunction", "inquiry", "设备故障", "Device malfunction"},
		{"production-date", "inquiry", "生产日期", "Production date"},
		{"authenticity", "inquiry", "真伪查询", "Authenticity check"},
		{"price-spec", "inquiry", "价格与规格", "Price and specification"},
		{"promotion", "inquiry", "促销活动", "Promotions"},
		{"where-to-buy", "inquiry", "购买渠道", "Where to buy"},
		{"membership", "inquiry", "会员与积分", "Membership and points"},
		{"order-status", "inquiry", "订单与物流状态", "Order and delivery status"},
		{"quality", "complaint", "产品质量", "Product quality"},
		{"wrong-item", "complaint", "错发漏发", "Wrong or missing item"},
		{"damaged", "complaint", "商品破损", "Damaged item"},
		{"wrong-amount", "complaint", "金额错误", "Wrong amount"},
		{"return-exchange", "complaint", "退换货（三包）", "Return or exchange (three guarantees)"},
		{"technician-attitude", "complaint", "安装维修人员服务态度", "Installer or technician attitude"},
		{"logistics-attitude", "complaint", "物流服务态度", "Logistics attitude"},
	}
}

// DispositionCodes are the codes, in order.
func (c Config) DispositionCodes() []string {
	codes := make([]string, len(c.Dispositions))
	for i, d := range c.Dispositions {
		codes[i] = d.Code
	}
	return codes
}

func (d *decoder) validateDispositions(ds []Disposition) {
	seen := map[string]int{}
	for i, x := range ds {
		p := fmt.Sprintf("dispositions[%d]", i)
		switch j, dup := seen[x.Code]; {
		case !dispositionCode.MatchString(x.Code):
			d.at(p+".code", "lower-case letters, digits, '-' and '_', like network-setup", "%q is not a usable code", x.Code)
		case dup:
			d.at(p+".code", "codes are unique", "%q is already the code of dispositions[%d]", x.Code, j)
		default:
			seen[x.Code] = i
		}
		d.oneOf(p+".kind", x.Kind, dispositionKinds)
		if x.Zh == "" || x.En == "" {
			d.at(p, "the name agents see, in zh and en: {code: usage, kind: inquiry, zh: 产品使用方法, en: How to use the product}", "needs both zh and en")
		}
	}
}
