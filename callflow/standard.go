package callflow

import (
	"maps"
	"slices"
)

// The standard prompts: the scripted phrases of the service standards (§3)
// and the few an IVR needs besides. A flow uses them without declaring them;
// declaring one under prompts overrides its sounds.
const (
	PromptSilenceHello = "silence-hello" // 您好!请问有什么可以帮助您?
	PromptSilenceBye   = "silence-bye"   // the silent caller's apology before hanging up
	PromptLouder       = "louder"        // caller too quiet, first
	PromptQuietBye     = "quiet-bye"     // caller too quiet, before hanging up
	PromptNoiseBye     = "noise-bye"     // line noise, before hanging up
	PromptMandarin     = "mandarin"      // please speak Mandarin
	PromptHandset      = "handset"       // please pick up the handset
	PromptAnythingElse = "anything-else" // closing: anything else?
	PromptGoodbye      = "goodbye"       // closing: thanks, goodbye
	PromptInvalidKey   = "invalid-key"   // a menu key or digits that are not valid
	PromptSorry        = "sorry"         // the apology of a call that cannot go on
	// PromptBeep is the tone before a voice message is recorded: Hotline
	// ships its own, as a stock Asterisk may have no beep sound.
	PromptBeep            = "beep"
	PromptRecordingNotice = "recording-notice" // your call may be recorded
	PromptResumeSorry     = "resume-sorry"     // to a call taken up again after a restart: sorry to keep you waiting
)

// ToneBeep is the Text of [PromptBeep] in every language: a tone has no
// words, and generate.sh in ivr/prompts makes a sound of this description.
const ToneBeep = "[tone 1000 Hz, 300 ms]"

// StandardPrompt is one built-in prompt: its name and its wording per
// language (for a tone, its description in brackets, like [ToneBeep]). Its sound in language L is "hotline/L/NAME" unless the flow
// declares the prompt.
type StandardPrompt struct {
	Name string
	Text map[string]string // language -> wording
}

var standardPrompts = []StandardPrompt{
	{PromptSilenceHello, map[string]string{
		"zh": "您好!请问有什么可以帮助您?",
		"en": "Hello! How may I help you?"}},
	{PromptSilenceBye, map[string]string{
		"zh": "对不起,您的电话没有声音,请您换一部电话再次打来,好吗?再见!",
		"en": "Sorry, we cannot hear you. Please call again from another phone. Goodbye!"}},
	{PromptLouder, map[string]string{
		"zh": "对不起!请您大声一点,好吗?",
		"en": "Sorry! Could you speak a little louder, please?"}},
	{PromptQuietBye, map[string]string{
		"zh": "对不起!您的电话声音太小,请您换一部电话挂来,好吗?",
		"en": "Sorry! Your line is too quiet. Could you call again from another phone, please?"}},
	{PromptNoiseBye, map[string]string{
		"zh": "对不起,您的电话杂音太大,听不清,请您换一部电话再次打来好吗?再见!",
		"en": "Sorry, there is too much noise on your line and we cannot hear you. Could you call again from another phone, please? Goodbye!"}},
	{PromptMandarin, map[string]string{
		"zh": "对不起,请您讲普通话,好吗?谢谢!",
		"en": "Sorry, could you speak Mandarin, please? Thank you!"}},
	{PromptHandset, map[string]string{
		"zh": "对不起,您的声音太小,请您拿起话筒说话好吗?",
		"en": "Sorry, your voice is too quiet. Could you pick up the handset and speak, please?"}},
	{PromptAnythingElse, map[string]string{
		"zh": "请问您还有其他问题吗?",
		"en": "Is there anything else I can help you with?"}},
	{PromptGoodbye, map[string]string{
		"zh": "谢谢,再见,感谢您的支持。",
		"en": "Thank you, goodbye, and thank you for your support."}},
	{PromptInvalidKey, map[string]string{
		"zh": "对不起,您的输入有误,请重新输入。",
		"en": "Sorry, that is not a valid entry. Please try again."}},
	{PromptSorry, map[string]string{
		"zh": "对不起,系统暂时无法为您服务,请您稍后再拨。再见!",
		"en": "Sorry, we cannot help you right now. Please call again later. Goodbye!"}},
	{PromptBeep, map[string]string{"zh": ToneBeep, "en": ToneBeep}},
	{PromptRecordingNotice, map[string]string{
		"zh": "您的通话可能会被录音。",
		"en": "Your call may be recorded."}},
	{PromptComplaintInvite, map[string]string{
		"zh": "请在提示音后说出您要投诉的问题,说完请按井号键或挂机。",
		"en": "Please tell us about your complaint after the tone. When you have finished, press the hash key or hang up."}},
	{PromptComplaintThanks, map[string]string{
		"zh": "您的投诉已登记,我们会在24小时内处理并回复您。",
		"en": "Your complaint has been registered. We will deal with it and reply to you within 24 hours."}},
	{PromptResumeSorry, map[string]string{
		"zh": "对不起,让您久等了。",
		"en": "Sorry to keep you waiting."}},
}

// StandardPrompts returns the built-in prompts, for the tools that record
// or synthesise their sounds.
func StandardPrompts() []StandardPrompt {
	out := make([]StandardPrompt, len(standardPrompts))
	for i, p := range standardPrompts {
		out[i] = StandardPrompt{Name: p.Name, Text: maps.Clone(p.Text)}
	}
	return out
}

// standardSound is the built-in sound of a standard prompt in lang.
func standardSound(name, lang string) (string, bool) {
	i := slices.IndexFunc(standardPrompts, func(p StandardPrompt) bool { return p.Name == name })
	if i < 0 {
		return "", false
	}
	if _, ok := standardPrompts[i].Text[lang]; !ok {
		return "", false
	}
	return "hotline/" + lang + "/" + name, true
}

func isStandardPrompt(name string) bool {
	return slices.ContainsFunc(standardPrompts, func(p StandardPrompt) bool { return p.Name == name })
}
