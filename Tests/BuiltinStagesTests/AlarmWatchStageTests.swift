import BuiltinStages
import PipelineCore
import PipelineTestKit
import Testing

@Suite struct AlarmWatchStageTests {
    @Test func quietAlarmsPassAfterTheBake() async {
        let fake = webTarget()
        fake.setAlarm("web-5xx", "OK")
        fake.setAlarm("web-latency", "OK")
        let result = await harness(fake).run(
            AlarmWatchStage(), inputs: ["alarm_prefix": "web-", "bake_time": "30ms", "poll_interval": "5ms"])
        #expect(result.failure == nil)
        #expect(result.outputs?[AlarmWatchStage.Outputs.alarmsChecked] == 2)
    }

    @Test func aTransitionDuringTheBakeFailsAtOnceNamingTheAlarm() async {
        let fake = webTarget()
        fake.setAlarm("web-5xx", "OK")
        async let result = harness(fake).run(
            AlarmWatchStage(), inputs: ["alarms": ["web-5xx"], "bake_time": "10s", "poll_interval": "5ms"])
        try? await Task.sleep(for: .milliseconds(50))
        fake.setAlarm("web-5xx", "ALARM", reason: "Threshold Crossed: 7 errors")
        let failure = await result.failure
        #expect(failure?.contains("web-5xx") == true)
        #expect(failure?.contains("Threshold Crossed: 7 errors") == true)
    }

    @Test func aFlapBackToOKBetweenLooksStillFails() async {
        let fake = webTarget()
        fake.setAlarm("web-5xx", "OK")
        async let result = harness(fake).run(
            AlarmWatchStage(), inputs: ["alarms": ["web-5xx"], "bake_time": "10s", "poll_interval": "200ms"])
        try? await Task.sleep(for: .milliseconds(50))
        fake.setAlarm("web-5xx", "ALARM")
        fake.setAlarm("web-5xx", "OK")
        #expect(await result.failure?.contains("web-5xx") == true)
    }

    @Test func anAlarmAlreadyFiringThatDoesNotClearFails() async {
        let fake = webTarget()
        fake.setAlarm("web-5xx", "ALARM")
        let result = await harness(fake).run(
            AlarmWatchStage(),
            inputs: ["alarms": ["web-5xx"], "bake_time": "20ms", "poll_interval": "5ms", "alarm_clear_timeout": "20ms"])
        #expect(result.failure?.contains("web-5xx") == true)
    }

    @Test func anAlarmAlreadyFiringCanBeIgnored() async {
        let fake = webTarget()
        fake.setAlarm("web-5xx", "ALARM")
        let result = await harness(fake).run(
            AlarmWatchStage(),
            inputs: [
                "alarms": ["web-5xx"], "bake_time": "20ms", "poll_interval": "5ms",
                "ignore_alarms_already_firing": true,
            ])
        #expect(result.failure == nil)
    }

    @Test func aNamedAlarmThatDoesNotExistIsAnError() async {
        let result = await harness(webTarget()).run(
            AlarmWatchStage(), inputs: ["alarms": ["no-such-alarm"], "bake_time": "0"])
        #expect(result.failure?.contains("no-such-alarm") == true)
    }

    @Test func withoutAlarmsItIsRefusedBeforeRunning() async {
        let result = await harness(webTarget()).run(AlarmWatchStage(), inputs: ["bake_time": "1s"])
        #expect(!result.ran)
        #expect(result.failure?.contains("needs with.alarms") == true)
    }

    @Test func watchedAlarmsAreReadFromTheInputs() throws {
        let spec = try AlarmWatchStage.watchedAlarms(
            StageInputs(["alarms": ["a"], "alarm_prefix": "web-", "poll_interval": "2s"]))
        #expect(spec?.names == ["a"])
        #expect(spec?.prefix == "web-")
        #expect(spec?.pollInterval == .seconds(2))
        #expect(spec?.clearTimeout == .seconds(600))
        #expect(try AlarmWatchStage.watchedAlarms(StageInputs([:])) == nil)
    }
}
