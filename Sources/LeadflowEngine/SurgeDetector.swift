import Foundation

/// Surge detection against each account's own baseline, per topic. A surge starts once, ends
/// when activity falls back, and cannot start again within its cooldown: no duplicate triggers.
extension CompiledModel {
    /// A third-party topic score: surging when at or above the threshold and well above the
    /// account's exponentially weighted baseline for the topic (never below the floor).
    func observeThirdParty(_ surge: inout TopicSurge, score: Double, at time: EventTime) -> SurgeTrigger.Kind? {
        let rules = model.surges.thirdParty
        let baseline = surge.observations == 0 ? rules.baselineFloor : max(rules.baselineFloor, surge.baseline)
        surge.lastCurrent = score
        surge.lastBaseline = baseline
        var change: SurgeTrigger.Kind?
        if !surge.active {
            if score >= rules.threshold && score - baseline >= rules.minLiftOverBaseline && time >= surge.cooldownUntil {
                surge.active = true
                change = .started
            }
        } else if score < rules.endBelow {
            surge.active = false
            surge.cooldownUntil = time + .days(rules.cooldownDays)
            change = .ended
        }
        if surge.observations == 0 {
            surge.baseline = score
        } else {
            let elapsed = max(0, time.milliseconds - surge.lastObservedAt.milliseconds)
            let weight = 1 - intentBaselineHalfLife.factor(elapsed: elapsed)
            surge.baseline += weight * (score - surge.baseline)
        }
        if surge.observations < .max { surge.observations += 1 }
        surge.lastObservedAt = max(surge.lastObservedAt, time)
        return change
    }

    /// A view of a topic-mapped page: counted into the recent and long-term decayed views.
    func observeFirstParty(_ surge: inout TopicSurge, at time: EventTime) {
        surge.recent.add(1, at: time, halfLife: surgeCurrentHalfLife)
        surge.longTerm.add(1, at: time, halfLife: surgeBaselineHalfLife)
        if surge.observations < .max { surge.observations += 1 }
        surge.lastObservedAt = max(surge.lastObservedAt, time)
    }

    /// Compares recent daily views with the long-term daily rate as of `now`.
    func evaluateFirstParty(_ surge: inout TopicSurge, now: EventTime) -> SurgeTrigger.Kind? {
        let rules = model.surges.firstParty
        let recent = surge.recent.value(at: now, halfLife: surgeCurrentHalfLife)
        let recentPerDay = recent * M_LN2 / rules.currentHalfLifeDays
        let baselinePerDay = max(
            rules.baselineFloorPerDay, surge.longTerm.value(at: now, halfLife: surgeBaselineHalfLife) * M_LN2 / rules.baselineHalfLifeDays)
        let ratio = recentPerDay / baselinePerDay
        surge.lastCurrent = recentPerDay
        surge.lastBaseline = baselinePerDay
        if !surge.active {
            if recent >= rules.minCurrent && ratio >= rules.minRatio && now >= surge.cooldownUntil {
                surge.active = true
                return .started
            }
        } else if ratio < rules.endRatio {
            surge.active = false
            surge.cooldownUntil = now + .days(rules.cooldownDays)
            return .ended
        }
        return nil
    }
}
