package main

import (
	"testing"
	"time"

	"github.com/spsmg/spsmg/config"
)

func TestParse(t *testing.T) {
	cfg, o, err := parse([]string{"-proto", "sgip", "-listen", "127.0.0.1:0", "-account", "a:1", "-account", "b:2",
		"-receiver", "127.0.0.1:8801", "-receiver-login", "smg", "-receiver-secret", "pw",
		"-delay", "5ms", "-report-delay", "1s", "-mo-rate", "10", "-mo-text", "hi"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Protocol != config.SGIP || cfg.Addr != "127.0.0.1:0" || len(cfg.Accounts) != 2 || cfg.Accounts["b"] != "2" ||
		cfg.ReceiverAddr != "127.0.0.1:8801" || cfg.ReceiverLogin != "smg" || cfg.ReceiverPassword != "pw" ||
		cfg.Delay != 5*time.Millisecond || cfg.ReportDelay != time.Second || cfg.MORate != 10 ||
		cfg.MOTemplate.Text != "hi" || o.level != "info" {
		t.Fatalf("parsed %+v %+v", cfg, o)
	}

	cfg, o, err = parse([]string{"-control", "127.0.0.1:17891"})
	if err != nil || o.control != "127.0.0.1:17891" || cfg.SubmitLog != controlSubmitLog {
		t.Fatalf("-control: %+v %+v, %v", cfg, o, err)
	}

	cfg, _, err = parse(nil)
	if err != nil || cfg.Protocol != config.CMPP30 || cfg.Accounts["901234"] != "smg-secret" || cfg.SubmitLog != 0 {
		t.Fatalf("defaults %+v, %v", cfg, err)
	}
	for _, bad := range [][]string{{"-proto", "smpp"}, {"-account", "nocolon"}, {"extra"}} {
		if _, _, err := parse(bad); err == nil {
			t.Errorf("parse(%q) accepted", bad)
		}
	}
}
